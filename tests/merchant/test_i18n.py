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
