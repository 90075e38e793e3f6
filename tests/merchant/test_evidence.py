"""Evidence files are served only to merchant staff of the ticket's shop and to platform
reviewers and operations, by `merchant:evidence`; never from a public URL."""

import pytest
from django.urls import reverse

from complaints.models import Evidence
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(rolled_out):
    ticket = factories.replied(shop=rolled_out)
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="n",
        evidence=[
            factories.upload("../../etc/photo.png"),
            factories.upload("c.pdf", factories.PDF),
        ],
    )
    return list(Evidence.objects.order_by("id"))


def url(item):
    return reverse("merchant:evidence", args=[item.pk])


def test_url_name_is_stable():
    assert reverse("merchant:evidence", args=[7]) == "/merchant/evidence/7/"


def test_shop_staff_see_the_image_inline(merchant_client, evidence):
    response = merchant_client.get(url(evidence[0]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == factories.PNG
    assert response["Content-Disposition"].startswith("inline")
    assert "photo.png" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("private")


def test_pdf_is_a_download(merchant_client, evidence):
    response = merchant_client.get(url(evidence[1]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("group", ["reviewers", "operations"])
def test_platform_staff_see_it(en_client, evidence, group):
    en_client.force_login(factories.UserFactory(groups=[group]))
    assert en_client.get(url(evidence[0])).status_code == 200


def test_other_merchant_and_buyer_get_404(en_client, evidence):
    en_client.force_login(factories.merchant())
    assert en_client.get(url(evidence[0])).status_code == 404
    en_client.force_login(evidence[0].ticket.buyer)
    assert en_client.get(url(evidence[0])).status_code == 404


def test_anonymous_is_sent_to_login(en_client, evidence):
    response = en_client.get(url(evidence[0]))
    assert response.status_code == 302
    assert reverse("merchant:login") in response["Location"]


def test_missing_row_or_file_is_404(merchant_client, evidence):
    assert merchant_client.get("/merchant/evidence/99999/").status_code == 404
    evidence[0].file.storage.delete(evidence[0].file.name)
    assert merchant_client.get(url(evidence[0])).status_code == 404


def test_files_live_outside_any_public_url(settings, evidence):
    # The storage is built when models load, from PRIVATE_MEDIA_ROOT of that moment.
    location = str(Evidence._meta.get_field("file").storage.location)
    assert location.endswith("private/evidence")
    assert evidence[0].file.path.startswith(location)
    assert not evidence[0].file.path.startswith(str(settings.STATIC_ROOT))
    assert ".." not in evidence[0].file.name
