"""Chinese first, English by the switch; the catalogue translates every string."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def compiled():
    """`make messages` compiles the catalogue; tests run without it do it here."""
    mo = PO.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < PO.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt is not installed (apt-get install gettext)")
        call_command("compilemessages", locale=["zh_Hans"], verbosity=0, ignore_patterns=[".venv"])
        from django.utils import translation

        translation.trans_real._translations = {}  # reload the fresh catalogue


def entries():
    """(msgid, msgstr, flags) of every entry of the .po, continuation lines joined."""
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags = line
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[0\])?) "(.*)"$', line)
            if match:
                key = match.group(1).replace("[0]", "")
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            yield fields["msgid"], fields.get("msgstr", ""), flags


def test_every_string_is_translated_and_keeps_its_placeholders():
    found = list(entries())
    assert len(found) > 300
    untranslated = [msgid for msgid, msgstr, _ in found if not msgstr]
    fuzzy = [msgid for msgid, _, flags in found if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []
    for msgid, msgstr, _ in found:
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


@pytest.mark.django_db
def test_pages_are_chinese_by_default(client, merchant, compiled):
    client.force_login(merchant)
    response = client.get(reverse("merchant:dashboard"))
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "催发货工单" in body and "售后任务处理时长" in body


@pytest.mark.django_db
def test_service_errors_are_translated(client, merchant, compiled):
    from tests import factories

    client.force_login(merchant)
    ticket = factories.urged(shop=merchant.shops.get())
    response = client.post(
        reverse("merchant:reply", args=[ticket.pk]),
        {"plan": "cannot_ship", "reason": "warehouse_backlog"},
    )
    assert "不能用于方案" in response.context["form"].errors["reason"][0]


@pytest.mark.django_db
def test_switch_to_english_and_back(client, merchant, compiled):
    client.force_login(merchant)
    dashboard = reverse("merchant:dashboard")
    response = client.post("/i18n/setlang/", {"language": "en", "next": dashboard})
    assert response.status_code == 302
    body = client.get(dashboard).content.decode()
    assert '<html lang="en">' in body and "Handling time" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": dashboard})
    assert "售后任务处理时长" in client.get(dashboard).content.decode()


@pytest.mark.django_db
def test_an_english_browser_still_starts_in_chinese(client, merchant, compiled):
    client.force_login(merchant)
    response = client.get(reverse("merchant:dashboard"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    client.logout()
    login = client.get(reverse("merchant:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "商家登录" in login.content.decode()


CJK_CHAR = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def choice_classes():
    from complaints.models import CompensationKind, ComplaintKind, ComplaintState
    from tickets.models import MessageKind, Plan, SecondPlan, TicketState

    return [
        TicketState,
        Plan,
        SecondPlan,
        ComplaintState,
        ComplaintKind,
        CompensationKind,
        MessageKind,
    ]


def test_english_labels_are_english_only(compiled):
    """States, plans and kinds come from the catalogue in the active language only: no
    Chinese in parentheses in English, no English left in Chinese."""
    from django.utils import translation

    for choices in choice_classes():
        with translation.override("en"):
            english = [str(label) for label in choices.labels]
        with translation.override("zh-hans"):
            chinese = [str(label) for label in choices.labels]
        assert [s for s in english if CJK_CHAR.search(s)] == [], choices.__name__
        assert [s for s in chinese if re.search(r"[A-Za-z]", s)] == [], choices.__name__


@pytest.mark.django_db
def test_english_pages_show_no_chinese_labels(client, merchant, compiled):
    from tests import factories

    shop = merchant.shops.get()
    factories.replied(shop=shop)
    ticket = factories.replied(shop=shop, plan="cannot_ship")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(merchant)
    pages = [
        reverse("merchant:tickets"),
        reverse("merchant:ticket", args=[ticket.pk]),
        reverse("merchant:complaints"),
        reverse("merchant:complaint", args=[ticket.complaints.get().pk]),
    ]
    for page in pages:
        body = client.get(page).content.decode()
        # Badges, options and timeline labels: "Awaiting buyer", never "Awaiting buyer (待…)".
        labels = re.findall(r'<span class="badge[^"]*">([^<]*)</span>', body)
        labels += re.findall(r"<option[^>]*>([^<]*)</option>", body)
        labels += re.findall(r"<strong>([^<]*)</strong>", body)
        assert labels, page
        assert [s for s in labels if CJK_CHAR.search(s)] == [], page


@pytest.mark.django_db
def test_reason_error_names_the_reason_in_the_pages_language(client, merchant, compiled):
    from tests import factories

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(merchant)
    ticket = factories.urged(shop=merchant.shops.get())
    response = client.post(
        reverse("merchant:reply", args=[ticket.pk]),
        {"plan": "cannot_ship", "reason": "warehouse_backlog"},
    )
    error = response.context["form"].errors["reason"][0]
    assert error == "The reason “Warehouse backlog” cannot be given with the plan “Cannot ship”."
