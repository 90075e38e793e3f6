from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from operations.urls import console_urls

urlpatterns = [
    # The operations console lives in the admin's look, before the admin's own catch-all.
    path("admin/operations/console/", console_urls),
    path("admin/", admin.site.urls),
    path("api/", include("tickets.api.urls")),
    path("", include("operations.urls")),  # /healthz, /readyz, /metrics
    path("merchant/webhooks/", include("webhooks.urls", namespace="webhooks")),
    path("merchant/", include("merchant.urls", namespace="merchant")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/merchant/", permanent=False)),
]

# The product's own 403/404/500 pages in the user's language; JSON under /api/ (for URLs that
# match no route, e.g. a negative id; the API's views answer their own errors).
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
