"""Merchant pages under /merchant/ (§11)."""

app_name = "merchant"
urlpatterns = []
