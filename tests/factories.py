"""Test data. Plain rows come from factory_boy; tickets in a given state are reached through
the services, so that every invariant and audit row holds as in production."""

import datetime as dt
import io
from decimal import Decimal

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services as complaint_services
from tickets import services
from tickets.models import Order, Platform, Shop, ShopMembership, platform_today

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))
        self.save()


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.Sequence(lambda n: f"Shop {n}")
    platform = Platform.TAOBAO


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    order_no = factory.Sequence(lambda n: f"O{n:08d}")
    shop = factory.SubFactory(ShopFactory)
    buyer = factory.SubFactory(UserFactory)
    amount = Decimal("100.00")
    is_fresh = False
    paid_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))


def merchant(*, shop=None, username=None, **shop_kwargs):
    """A merchant staff user of `shop` (a new shop unless given)."""
    shop = shop or ShopFactory(**shop_kwargs)
    user = UserFactory(**({"username": username} if username else {}))
    ShopMembership.objects.create(user=user, shop=shop)
    return user


def urged(*, shop=None, buyer=None, at=None, **order_kwargs):
    """A ticket in `awaiting_reply`, urged at `at` (now by default)."""
    kwargs = {"shop": shop} if shop else {}
    if buyer is not None:
        kwargs["buyer"] = buyer
    if at is not None:
        order_kwargs.setdefault("paid_at", at - dt.timedelta(hours=1))
    order = OrderFactory(**kwargs, **order_kwargs)
    ticket, _ = services.ticket_urge(buyer=order.buyer, order_no=order.order_no, at=at)
    return ticket


def staff_of(ticket):
    membership = ShopMembership.objects.filter(shop=ticket.shop).select_related("user").first()
    return membership.user if membership else merchant(shop=ticket.shop)


def replied(*, plan="ship_later", reason=None, days=5, at=None, **kwargs):
    """A ticket replied with `plan` (`awaiting_buyer`, `agreed` or `platform_review`)."""
    ticket = urged(at=at, **kwargs)
    at = at or timezone.now()
    reason = (
        reason
        or {
            "ship_later": "stock_shortage",
            "exchange_agreed": "exchange_negotiated",
            "cannot_ship": "stock_shortage",
        }[plan]
    )
    ship_by = None if plan == "cannot_ship" else platform_today(at) + dt.timedelta(days=days)
    return services.ticket_reply(
        ticket_id=ticket.pk,
        actor=staff_of(ticket),
        plan=plan,
        reason=reason,
        ship_by=ship_by,
        at=at,
    )


def agreed(**kwargs):
    return replied(plan="exchange_agreed", **kwargs)


def in_review(*, reviewer, kind="cannot_ship", **kwargs):
    """A ticket in platform review whose complaint is claimed by `reviewer`."""
    if kind == "cannot_ship":
        ticket = replied(plan="cannot_ship", **kwargs)
    else:
        raise ValueError(kind)
    complaint = ticket.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint.refresh_from_db()
    return ticket, complaint


def rolled_out_shop(*, since=None, **kwargs):
    """A shop with second handling open since `since` (a day ago by default)."""
    since = since or timezone.now() - dt.timedelta(days=1)
    return ShopFactory(second_handling_since=since, **kwargs)


def reviewer_user(username="factory-reviewer"):
    return UserFactory(username=username, groups=["reviewers"])


TICKET_STATES = (
    "awaiting_reply",
    "awaiting_buyer",
    "agreed",
    "compensated",
    "platform_review",
    "awaiting_settlement",
    "completed",
)


def ticket_in(state, *, at=None, **kwargs):
    """A ticket brought to `state` through the services (the shop has second handling open,
    so that the same helper serves every state)."""
    at = at or timezone.now()
    if "shop" not in kwargs:
        kwargs["shop"] = rolled_out_shop(since=at - dt.timedelta(days=1))
    if state == "awaiting_reply":
        return urged(at=at, **kwargs)
    if state == "awaiting_buyer":
        return replied(plan="ship_later", at=at, **kwargs)
    if state == "agreed":
        return agreed(at=at, **kwargs)
    if state == "compensated":
        ticket = agreed(at=at, **kwargs)
        return services.ticket_second_handling(
            ticket_id=ticket.pk, actor=staff_of(ticket), plan="compensate", at=at
        )
    if state == "platform_review":
        return replied(plan="cannot_ship", at=at, **kwargs)
    if state == "awaiting_settlement":
        ticket = replied(plan="cannot_ship", at=at, **kwargs)
        reviewer = reviewer_user()
        complaint = ticket.complaints.get()
        complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer, at=at)
        complaint_services.complaint_dismiss(
            complaint_id=complaint.pk, reviewer=reviewer, note="not the merchant's fault", at=at
        )
        ticket.refresh_from_db()
        return ticket
    if state == "completed":
        ticket = urged(at=at, **kwargs)
        services.order_settle(order_no=ticket.order.order_no, settlement="shipped", at=at)
        ticket.refresh_from_db()
        return ticket
    raise ValueError(state)


def row_counts() -> dict:
    """Rows of every table (models with a table of their own), to show that a read wrote
    nothing."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def footprint(ticket=None) -> dict:
    """What a service leaves behind: audit rows, buyer messages, complaints, compensations,
    evidence and liabilities (of `ticket`, or all), and the ticket's state. A refused service
    leaves it unchanged."""
    from django_fsm_log.models import StateLog

    from complaints.models import Compensation, Complaint, Evidence, Liability
    from tickets.models import BuyerMessage, Ticket

    by_ticket = {"ticket": ticket} if ticket is not None else {}
    result = {
        "audit": StateLog.objects.count(),
        "messages": BuyerMessage.objects.filter(**by_ticket).count(),
        "complaints": Complaint.objects.filter(**by_ticket).count(),
        "compensations": Compensation.objects.filter(**by_ticket).count(),
        "evidence": Evidence.objects.filter(**by_ticket).count(),
        "liabilities": Liability.objects.filter(**by_ticket).count(),
    }
    if ticket is not None:
        fresh = Ticket.objects.get(pk=ticket.pk)
        result["state"] = fresh.state
        result["updated_at"] = fresh.updated_at
    return result


def isolate_evidence_storage(monkeypatch, root):
    """Point the evidence field's storage at `root`. The field builds its storage once, at
    import, so overriding PRIVATE_MEDIA_ROOT in a test does not move it."""
    from django.core.files.storage import FileSystemStorage

    from complaints.models import Evidence

    storage = FileSystemStorage(location=root)
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)
    return storage


def stored_files(root) -> list:
    """Every file under `root` (evidence written to disk)."""
    import pathlib

    root = pathlib.Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# -- evidence files (real magic bytes, so content checks see real types) -----------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name="proof.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def big_upload(size, name="big.png"):
    return SimpleUploadedFile(name, PNG + b"\0" * (size - len(PNG)), content_type="image/png")


__all__ = ["io"]
