"""Merchant pages under /merchant/ (§11). `merchant:evidence` is linked from the admin."""

from django.urls import path

from .views import account, batch, complaints, dashboard, export, tickets

app_name = "merchant"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("shop/", account.switch_shop, name="switch-shop"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/batch-reply/", batch.ticket_batch_reply_view, name="batch-reply"),
    path("tickets/export/", export.ticket_export, name="tickets-export"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", tickets.ticket_reply_view, name="reply"),
    path(
        "tickets/<int:pk>/reply/preview/",
        tickets.ticket_reply_preview_view,
        name="reply-preview",
    ),
    path(
        "tickets/<int:pk>/second-handling/",
        tickets.ticket_second_handling_view,
        name="second-handling",
    ),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/export/", export.complaint_export, name="complaints-export"),
    path("complaints/<int:pk>/", complaints.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/appeal/", complaints.complaint_appeal_view, name="appeal"),
    path("evidence/<int:pk>/", complaints.evidence_file, name="evidence"),
]
