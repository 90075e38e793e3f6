from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tickets.api.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tickets.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("merchant/", include("merchant.urls", namespace="merchant")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/merchant/", permanent=False)),
]

# JSON 404s under /api/ (for URLs that match no route, e.g. a negative id).
handler404 = "tickets.api.views.not_found"
