"""The REST API under /api/ (§11)."""

urlpatterns = []
