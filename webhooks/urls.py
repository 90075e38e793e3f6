"""The merchant's webhook page under /merchant/webhooks/ (§15)."""

from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("<int:pk>/delete/", views.webhook_delete, name="delete"),
    path("<int:pk>/ping/", views.webhook_ping, name="ping"),
    path("<int:pk>/resume/", views.webhook_resume, name="resume"),
    path("<int:pk>/deliveries/", views.webhook_deliveries, name="deliveries"),
    path(
        "<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
