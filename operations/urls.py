"""`/healthz`, `/readyz`, `/metrics` (§16) at the root, and the console under the admin."""

from django.urls import include, path

from . import console, views

console_urls = include((console.urlpatterns, "operations"), namespace="operations")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
