"""Every merchant page on a phone (390×844) and at a desk (1440×900), in Chinese and in English
(§14): no sideways scrolling, touch targets of at least 44 px on the phone, the due action
above the history, labels in one language only, Chinese punctuation in Chinese. One page load
per page, size and language. (The phone pictures in docs/ come from `manage.py screenshots`.)"""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import ComplaintKind, ComplaintState
from tests import factories
from tests.tickets.test_buyer_texts import MIXED_PUNCTUATION
from tickets import services
from tickets.models import Plan, ShopMembership, TicketState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1440, "height": 900}}

# What must be a touch target on a phone: buttons, navigation, form controls, links that are
# a list's rows (links inside running text are exempt, as in WCAG's target-size rule).
TARGETS = ", ".join(
    [
        ".btn",
        ".mainnav a",
        ".topbar-tools button",
        "select",
        "textarea",
        "input:not([type=hidden]):not([type=radio]):not([type=checkbox])",
        ".choice-card",
        ".stat-link",
        ".table-stack td a",
        ".due-list a",
        ".segmented a",
        ".pagination a",
        ".plain-list li > a",
        ".breadcrumb a",
    ]
)
# Labels of states, plans, kinds and the page's own words (not data such as shop names,
# order numbers, notes or the buyer's Chinese messages).
LABELS = ", ".join(
    [
        ".badge",
        ".tag",
        ".choice-title",
        ".stat-label",
        "th",
        "legend",
        "label",
        ".facts dt",
        ".timeline-head strong",
        ".timeline-meta .muted",
        ".mainnav a",
        "h1",
        "h2",
        "select:not(#shop-select) option",
        ".btn",
    ]
)

MEASURE = """([targets, labels]) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const small = [...document.querySelectorAll(targets)].filter(visible)
    .filter((el) => el.getBoundingClientRect().height < 44)
    .map((el) => [el.tagName, el.className, (el.textContent || el.name || "").trim().slice(0, 30),
                  Math.round(el.getBoundingClientRect().height)].join(" "));
  const texts = [...document.querySelectorAll(labels)]
    .filter((el) => el.tagName === "OPTION" || visible(el))
    .filter((el) => !el.closest("[lang]:not(html)"))
    .map((el) => el.textContent.replace(/\\s+/g, " ").trim()).filter(Boolean);
  const cellLabels = [...document.querySelectorAll("td[data-label]")].map((el) => el.dataset.label);
  const top = (selector) => {
    const el = document.querySelector(selector);
    return el ? el.getBoundingClientRect().top + window.scrollY : null;
  };
  // Content wider than its box is clipped or scrolls inside it (the metric grid, a card).
  const clipped = [...document.querySelectorAll(".card, .metrics > div, .stat")].filter(visible)
    .filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.className + " " + el.textContent.replace(/\\s+/g, " ").trim().slice(0, 40));
  return {
    clipped,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    small, texts: texts.concat(cellLabels),
    body: document.body.innerText,
    actionTop: top(".actions-card"), historyTop: top(".timeline, #case"),
  };
}"""

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
FILE_NAME = re.compile(r"[^\s,，、]+\.(?:png|jpe?g|pdf)\b", re.IGNORECASE)


def english_names():
    """The English names of states, plans and kinds, which must not show in Chinese."""
    from django.utils import translation

    with translation.override("en"):
        return {
            str(label)
            for choices in (TicketState, ComplaintState, Plan, ComplaintKind)
            for label in choices.labels
        }


@pytest.fixture
def world(db, compiled_messages):
    now = timezone.now()
    reviewer = factories.reviewer_user("reviewer-layout")
    shop = factories.ShopFactory(code="taobao-demo-1", name="淘宝示例店")
    services.shop_enable_second_handling(shops=[shop], at=now - dt.timedelta(days=10))
    staff = factories.merchant(shop=shop, username="merchant1")
    ShopMembership.objects.create(
        user=staff, shop=factories.ShopFactory(code="tmall-demo-1", name="天猫示例旗舰店")
    )
    # Long order numbers, a fresh order, every kind of row the list and the dashboard show.
    urgent = factories.urged(
        shop=shop, at=now - dt.timedelta(hours=21), order_no="TB2026112600000000001"
    )
    for hours in (3, 9, 23):
        factories.urged(shop=shop, at=now - dt.timedelta(hours=hours), is_fresh=hours == 9)
    factories.urged(shop=shop, at=now - dt.timedelta(hours=26))  # overdue, sweep pending
    factories.replied(shop=shop, at=now - dt.timedelta(hours=30))  # buyer's window over
    agreed = factories.agreed(shop=shop, at=now - dt.timedelta(hours=2))
    factories.replied(shop=shop, plan="cannot_ship")
    claim = factories.agreed(shop=shop)
    services.ticket_second_handling(
        ticket_id=claim.pk,
        actor=staff,
        plan="buyer_fault",
        note="买家要求暂缓发货，见聊天记录截图。",
        evidence=[factories.upload(), factories.upload("说明.pdf", factories.PDF)],
    )
    _ticket, complaint = factories.in_review(reviewer=reviewer, shop=shop)
    complaint_services.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note="未按约定时间发货"
    )
    nobody = factories.UserFactory(username="no-shop-user")
    return {
        "staff": staff,
        "nobody": nobody,
        "pages": {
            "dashboard": "/merchant/",
            "tickets": "/merchant/tickets/",
            "ticket": f"/merchant/tickets/{urgent.pk}/",
            "ticket-agreed": f"/merchant/tickets/{agreed.pk}/",
            "ticket-claim": f"/merchant/tickets/{claim.pk}/",
            "reply": f"/merchant/tickets/{urgent.pk}/reply/",
            "second-handling": f"/merchant/tickets/{agreed.pk}/second-handling/",
            "complaints": "/merchant/complaints/",
            "complaint": f"/merchant/complaints/{complaint.pk}/",
            "not-found": "/merchant/tickets/999999999/",
        },
    }


def session_cookie(user, base):
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}


def check(page, url, *, size, language, english, name):
    page.goto(url)
    found = page.evaluate(MEASURE, [TARGETS, LABELS])
    where = f"{name} at {size} in {language}"
    assert found["scrollWidth"] <= found["innerWidth"], where
    assert found["clipped"] == [], where
    if size == "phone":
        assert found["small"] == [], where
        if found["actionTop"] is not None and found["historyTop"] is not None:
            assert found["actionTop"] < found["historyTop"], where
    if language == "en":
        assert [t for t in found["texts"] if CJK.search(t)] == [], where
    else:
        assert [t for t in found["texts"] if t in english] == [], where
        # File names are the uploader's data ("说明.pdf"), not the page's punctuation.
        text = FILE_NAME.sub("", found["body"])
        mixed = [m.group(0) for m in MIXED_PUNCTUATION.finditer(text)]
        assert mixed == [], where
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desk"])
def test_every_merchant_page_fits(browser, live_server, world, size, language):
    base = live_server.url
    english = english_names()
    contexts = []

    def context(user=None):
        ctx = browser.new_context(
            viewport=VIEWPORTS[size], locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        cookies = [{"name": "django_language", "value": language, "url": base}]
        if user is not None:
            cookies.append(session_cookie(user, base))
        ctx.add_cookies(cookies)
        contexts.append(ctx)
        return ctx.new_page()

    try:
        page = context(world["staff"])
        for name, path in world["pages"].items():
            found = check(
                page, base + path, size=size, language=language, english=english, name=name
            )
            if name.startswith("ticket") and name != "tickets":
                assert found["actionTop"] is not None, name
        check(
            context(),
            base + "/merchant/login/",
            size=size,
            language=language,
            english=english,
            name="login",
        )
        check(
            context(world["nobody"]),
            base + "/merchant/",
            size=size,
            language=language,
            english=english,
            name="no-shop",
        )
    finally:
        for ctx in contexts:
            ctx.close()
