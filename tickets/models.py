"""Tickets: shops, orders, the versioned policy, the reason catalogue, the ticket state
machine (§4) and the buyer-message outbox (§10) of docs/domain.md."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

# Deadlines and ship-by days are reckoned in the platform's time zone, whatever the server's.
PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
MONEY = {"max_digits": 12, "decimal_places": 2}


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    TMALL = "tmall", _("Tmall")


class Shop(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    # §6: second handling is open to this shop's tickets first replied at or after this instant.
    second_handling_since = models.DateTimeField(_("second handling since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ShopMembership", related_name="shops", blank=True
    )

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ShopMembership(models.Model):
    """A merchant staff member of a shop; one user may staff several shops."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("shop")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("shop membership")
        verbose_name_plural = _("shop memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="one_membership_per_user_shop")
        ]

    def __str__(self):
        return f"{self.user} @ {self.shop.code}"


class Order(models.Model):
    """A mirror of the order system's order (§11 `PUT /orders/{order_no}/`)."""

    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    amount = models.DecimalField(_("paid amount (yuan)"), **MONEY)
    is_fresh = models.BooleanField(_("fresh category"), default=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_non_negative")
        ]
        # §18: any part of an order number is found through `order_no_grams_idx` (5 characters
        # or more) or the trigram index `order_no_trgm_idx` on PostgreSQL, made by migrations
        # 0020 and 0012 only there (not declared here, so that SQLite, which rebuilds tables
        # with their declared indexes, never sees a GIN index). See tickets/search.py.

    def __str__(self):
        return self.order_no

    @property
    def is_settled(self) -> bool:
        return self.shipped_at is not None or self.refunded_at is not None

    @property
    def can_be_urged(self) -> bool:
        return self.paid_at is not None and not self.is_settled


class Payout(models.TextChoices):
    CASH = "cash", _("cash")
    TMALL_POINTS = "tmall_points", _("Tmall points")


class Policy(models.Model):
    """One version of the rules of a platform (§8). Versions are published, never edited once
    in force; a ticket keeps the version it was created under and copies its deadlines."""

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateTimeField(_("effective from"))
    reply_window = models.DurationField(_("reply window"), default=dt.timedelta(hours=24))
    buyer_window = models.DurationField(
        _("buyer confirmation window"), default=dt.timedelta(hours=24)
    )
    ship_later_cap_days = models.PositiveSmallIntegerField(_("ship-later cap (days)"), default=30)
    fresh_ship_later_cap_days = models.PositiveSmallIntegerField(
        _("ship-later cap for fresh orders (days)"), default=15
    )
    review_target = models.DurationField(_("review target"), default=dt.timedelta(hours=48))
    appeal_window = models.DurationField(_("appeal window"), default=dt.timedelta(days=30))
    # §18: an appeal waits for a reviewer like a complaint, with its own target from the appeal.
    appeal_review_target = models.DurationField(
        _("appeal review target"), default=dt.timedelta(hours=48)
    )
    # §15: `ticket.reply_due_soon` is sent this long before an unanswered ticket's deadline.
    reply_reminder_lead = models.DurationField(
        _("reply reminder lead"), default=dt.timedelta(hours=2)
    )
    late_rate = models.DecimalField(
        _("late-shipment compensation rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    late_min = models.DecimalField(_("late-shipment minimum (yuan)"), **MONEY)
    late_max = models.DecimalField(_("late-shipment maximum (yuan)"), **MONEY)
    stockout_rate = models.DecimalField(
        _("stock-out compensation rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    stockout_min = models.DecimalField(_("stock-out minimum (yuan)"), **MONEY)
    stockout_max = models.DecimalField(_("stock-out maximum (yuan)"), **MONEY)
    payout = models.CharField(_("paid as"), max_length=16, choices=Payout.choices)
    points_per_yuan = models.PositiveIntegerField(
        _("Tmall points per yuan"), default=0, help_text=_("0 when paid in cash")
    )
    points_per_upheld = models.PositiveSmallIntegerField(
        _("penalty points per upheld complaint"), default=3
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["platform", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "version"], name="policy_version_unique"),
            models.UniqueConstraint(
                fields=["platform", "effective_from"], name="policy_effective_from_unique"
            ),
            models.CheckConstraint(
                condition=Q(late_min__gte=0) & Q(late_max__gte=models.F("late_min")),
                name="policy_late_bounds",
                violation_error_message=_(
                    "The late-shipment minimum must not be negative, and the maximum must be at "
                    "least the minimum."
                ),
            ),
            models.CheckConstraint(
                condition=Q(stockout_min__gte=0) & Q(stockout_max__gte=models.F("stockout_min")),
                name="policy_stockout_bounds",
                violation_error_message=_(
                    "The stock-out minimum must not be negative, and the maximum must be at least "
                    "the minimum."
                ),
            ),
            models.CheckConstraint(
                condition=Q(late_rate__gte=0, late_rate__lte=1)
                & Q(stockout_rate__gte=0, stockout_rate__lte=1),
                name="policy_rates_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(reply_window__gt=dt.timedelta(0))
                & Q(buyer_window__gt=dt.timedelta(0))
                & Q(review_target__gt=dt.timedelta(0))
                & Q(appeal_window__gt=dt.timedelta(0)),
                name="policy_windows_positive",
            ),
            models.CheckConstraint(
                condition=~Q(payout=Payout.TMALL_POINTS) | Q(points_per_yuan__gte=1),
                name="policy_points_payout_has_rate",
            ),
            models.CheckConstraint(
                condition=Q(appeal_review_target__gt=dt.timedelta(0)),
                name="policy_appeal_review_target_positive",
                violation_error_message=_("The appeal review target must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(reply_reminder_lead__gte=dt.timedelta(0)),
                name="policy_reply_reminder_lead_not_negative",
                violation_error_message=_("The reply reminder lead must not be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.get_platform_display()} v{self.version}"

    def ship_later_cap(self, *, is_fresh: bool) -> int:
        return self.fresh_ship_later_cap_days if is_fresh else self.ship_later_cap_days


class Plan(models.TextChoices):
    SHIP_LATER = "ship_later", _("Ship later")
    EXCHANGE_AGREED = "exchange_agreed", _("Exchange agreed")
    CANNOT_SHIP = "cannot_ship", _("Cannot ship")


PLANS_WITH_DATE = (Plan.SHIP_LATER, Plan.EXCHANGE_AGREED)


class SecondPlan(models.TextChoices):
    COMPENSATE = "compensate", _("Compensate proactively")
    BUYER_FAULT = "buyer_fault", _("Buyer at fault")


class ReasonSide(models.TextChoices):
    SELLER = "seller", _("seller")
    BUYER = "buyer", _("buyer")


class ReplyReasonQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def allowing(self, plan: str):
        return self.filter(**{f"allows_{plan}": True})


class ReplyReason(models.Model):
    """A catalogued reply reason (§5). Admin-editable data; deactivated, never deleted."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    side = models.CharField(_("side"), max_length=8, choices=ReasonSide.choices)
    label = models.CharField(_("label (Chinese)"), max_length=128)
    label_en = models.CharField(_("label (English)"), max_length=128)
    buyer_text = models.TextField(_("text shown to the buyer"))
    allows_ship_later = models.BooleanField(_("allows ship later"), default=False)
    allows_exchange_agreed = models.BooleanField(_("allows exchange agreed"), default=False)
    allows_cannot_ship = models.BooleanField(_("allows cannot ship"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    # "sort position", not "order": in Chinese the word for an order (订单) is another word.
    sort_order = models.PositiveSmallIntegerField(_("sort position"), default=0)

    objects = ReplyReasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("reply reason")
        verbose_name_plural = _("reply reasons")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.label} ({self.code})"

    def allows(self, plan: str) -> bool:
        return bool(getattr(self, f"allows_{plan}", False))

    @property
    def allowed_plans(self) -> list[str]:
        return [p for p in Plan.values if self.allows(p)]

    @property
    def display_label(self) -> str:
        """The catalogue keeps a Chinese and an English label: the active language's."""
        return self.label_en if (get_language() or "").startswith("en") else self.label


class TicketState(models.TextChoices):
    AWAITING_REPLY = "awaiting_reply", _("Awaiting merchant reply")
    AWAITING_BUYER = "awaiting_buyer", _("Awaiting buyer")
    AGREED = "agreed", _("Agreed, to fulfil")
    COMPENSATED = "compensated", _("Compensated")
    PLATFORM_REVIEW = "platform_review", _("Platform review")
    AWAITING_SETTLEMENT = "awaiting_settlement", _("Awaiting shipment or refund")
    COMPLETED = "completed", _("Completed")


class Settlement(models.TextChoices):
    SHIPPED = "shipped", _("shipped")
    REFUNDED = "refunded", _("refunded")


S = TicketState


def end_of_day(day: dt.date) -> dt.datetime:
    """`ship_deadline`: the last instant of the `ship_by` day in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=PLATFORM_TZ)


def platform_today(at: dt.datetime) -> dt.date:
    return at.astimezone(PLATFORM_TZ).date()


class Ticket(ConcurrentTransitionMixin, models.Model):
    """One buyer's urge-shipment case for one order (§4). Transitions are pure: they set
    fields on the instance; services lock, check deadlines, save, audit and message."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="tickets")
    state = FSMField(
        _("state"), default=S.AWAITING_REPLY, choices=S.choices, protected=True, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    reply_due_at = models.DateTimeField(_("reply due at"))
    # §15: when `ticket.reply_due_soon` was sent (the `reply_reminders` sweep; once a ticket).
    reply_reminded_at = models.DateTimeField(_("reply reminder sent at"), null=True, blank=True)

    reply_plan = models.CharField(_("reply plan"), max_length=16, choices=Plan.choices, blank=True)
    reply_reason = models.ForeignKey(
        ReplyReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("reply reason"),
    )
    reply_note = models.TextField(_("reply note"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ship_by = models.DateField(_("ship by"), null=True, blank=True)
    ship_deadline = models.DateTimeField(_("ship deadline"), null=True, blank=True)

    buyer_due_at = models.DateTimeField(_("buyer due at"), null=True, blank=True)
    buyer_responded_at = models.DateTimeField(_("buyer responded at"), null=True, blank=True)
    buyer_accepted = models.BooleanField(_("buyer accepted"), null=True, blank=True)

    second_handling_plan = models.CharField(
        _("second handling"), max_length=16, choices=SecondPlan.choices, blank=True
    )
    second_handled_at = models.DateTimeField(_("second handled at"), null=True, blank=True)
    second_handling_note = models.TextField(_("second handling note"), blank=True)
    # §6: set when second handling is taken back from the shop after this ticket was replied
    # under it: the ticket keeps its entry (`shop_revoke_second_handling`).
    second_handling_kept = models.BooleanField(
        _("keeps second handling (taken back from the shop later)"), default=False
    )

    # §9: the first merchant action (reply, second handling or order settled).
    first_action_at = models.DateTimeField(_("first handled at"), null=True, blank=True)
    settlement = models.CharField(
        _("settlement"), max_length=16, choices=Settlement.choices, blank=True
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(state=S.COMPLETED),
                name="one_open_ticket_per_order",
            ),
            models.CheckConstraint(
                condition=Q(reply_due_at__gt=models.F("created_at")),
                name="ticket_reply_due_after_creation",
            ),
            models.CheckConstraint(
                condition=~Q(reply_plan__in=PLANS_WITH_DATE)
                | Q(ship_by__isnull=False, ship_deadline__isnull=False),
                name="ticket_dated_plan_has_ship_by",
            ),
        ]
        indexes = [
            # Shaped like the sweeps: only the rows in the state, ordered by the deadline.
            models.Index(
                fields=["reply_due_at"],
                condition=Q(state=S.AWAITING_REPLY),
                name="ticket_reply_due_idx",
            ),
            # §15 `reply_reminders`: unanswered tickets not reminded yet, by deadline.
            models.Index(
                fields=["reply_due_at"],
                condition=Q(state=S.AWAITING_REPLY, reply_reminded_at__isnull=True),
                name="ticket_reply_remind_idx",
            ),
            models.Index(
                fields=["buyer_due_at"],
                condition=Q(state=S.AWAITING_BUYER),
                name="ticket_buyer_due_idx",
            ),
            models.Index(
                fields=["ship_deadline"], condition=Q(state=S.AGREED), name="ticket_ship_due_idx"
            ),
            models.Index(fields=["shop", "state", "created_at"], name="ticket_shop_state_idx"),
            models.Index(fields=["shop", "created_at"], name="ticket_shop_created_idx"),
            # §9 for a big shop: the tickets not handled yet, which no rollup can hold (their
            # handling time grows until their first action).
            models.Index(
                fields=["shop", "created_at"],
                condition=Q(first_action_at__isnull=True),
                name="ticket_unhandled_idx",
            ),
            models.Index(fields=["buyer", "created_at"], name="ticket_buyer_created_idx"),
            # §19 what-if: a platform's tickets of the last N days, whatever the table's size.
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            # A shop's open tickets by state (the dashboard's cards, index-only) and by each
            # deadline its staff answer for (due soon, overdue, the work queue's sort): a big
            # shop reads its own open tickets, never the platform's.
            models.Index(
                fields=["shop", "state"],
                condition=~Q(state=S.COMPLETED),
                name="ticket_shop_open_idx",
            ),
            models.Index(
                fields=["shop", "reply_due_at"],
                condition=Q(state=S.AWAITING_REPLY),
                name="ticket_shop_reply_due_idx",
            ),
            models.Index(
                fields=["shop", "buyer_due_at"],
                condition=Q(state=S.AWAITING_BUYER),
                name="ticket_shop_buyer_due_idx",
            ),
            models.Index(
                fields=["shop", "ship_deadline"],
                condition=Q(state=S.AGREED),
                name="ticket_shop_ship_due_idx",
            ),
            # A shop's ticket ids from the index alone: its complaints (the merchant's list,
            # the API's) are found by ticket, and the tickets' own pages spread wider as the
            # platform grows.
            models.Index(fields=["shop", "id"], name="ticket_shop_id_idx"),
            # The open tickets each policy version governs (the policy list, capped).
            models.Index(
                fields=["policy"], condition=~Q(state=S.COMPLETED), name="ticket_open_policy_idx"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.order.order_no if self.order_id else ''}"

    # -- derived facts (no queries) -----------------------------------------------------
    @property
    def current_deadline(self) -> dt.datetime | None:
        """The deadline that the current state is waiting on, if any."""
        return {
            S.AWAITING_REPLY: self.reply_due_at,
            S.AWAITING_BUYER: self.buyer_due_at,
            S.AGREED: self.ship_deadline,
        }.get(self.state)

    def is_overdue(self, at: dt.datetime) -> bool:
        deadline = self.current_deadline
        return deadline is not None and at >= deadline

    def merchant_overdue(self, at: dt.datetime) -> bool:
        """Past a deadline the merchant answers for (the reply, the promised ship date). A
        plan waiting on a buyer past their window is the buyer's silence, not lateness."""
        deadline = {S.AWAITING_REPLY: self.reply_due_at, S.AGREED: self.ship_deadline}.get(
            self.state
        )
        return deadline is not None and at >= deadline

    def buyer_window_over(self, at: dt.datetime) -> bool:
        """The buyer's time to answer has ended; the sweep deems the plan accepted soon."""
        return self.state == S.AWAITING_BUYER and at >= self.buyer_due_at

    def reply_open(self, at) -> bool:
        """The merchant may still reply (§4: before `reply_due_at`)."""
        return self.state == S.AWAITING_REPLY and at < self.reply_due_at

    def buyer_answer_open(self, at) -> bool:
        """The buyer may still accept or reject (§4: before `buyer_due_at`)."""
        return self.state == S.AWAITING_BUYER and at < self.buyer_due_at

    def _mark_first_action(self, at):
        self.first_action_at = self.first_action_at or at

    # -- transitions (pure) -------------------------------------------------------------
    @transition(
        field=state,
        source=S.AWAITING_REPLY,
        target=RETURN_VALUE(S.AWAITING_BUYER, S.AGREED, S.PLATFORM_REVIEW),
    )
    def reply(self, *, plan, reason, ship_by, note, by, at, buyer_window):
        self.reply_plan, self.reply_reason, self.reply_note = plan, reason, note
        self.replied_at, self.replied_by = at, by
        self._mark_first_action(at)
        if plan in PLANS_WITH_DATE:
            self.ship_by, self.ship_deadline = ship_by, end_of_day(ship_by)
        if plan == Plan.SHIP_LATER:
            self.buyer_due_at = at + buyer_window
            return S.AWAITING_BUYER
        if plan == Plan.EXCHANGE_AGREED:
            return S.AGREED
        return S.PLATFORM_REVIEW

    @transition(field=state, source=S.AWAITING_REPLY, target=S.PLATFORM_REVIEW)
    def reply_timeout(self):
        pass

    @transition(field=state, source=S.AWAITING_BUYER, target=S.AGREED)
    def accept(self, *, at):
        self.buyer_responded_at, self.buyer_accepted = at, True

    @transition(field=state, source=S.AWAITING_BUYER, target=S.AGREED)
    def buyer_silence(self):
        # 消费者不操作视为认可: deemed accepted, no response recorded.
        self.buyer_accepted = True

    @transition(field=state, source=S.AWAITING_BUYER, target=S.PLATFORM_REVIEW)
    def reject(self, *, at):
        self.buyer_responded_at, self.buyer_accepted = at, False

    @transition(field=state, source=[S.AWAITING_BUYER, S.AGREED], target=S.COMPENSATED)
    def compensate(self, *, note, at):
        self._second_handling(SecondPlan.COMPENSATE, note, at)

    @transition(field=state, source=[S.AWAITING_BUYER, S.AGREED], target=S.PLATFORM_REVIEW)
    def claim_buyer_fault(self, *, note, at):
        self._second_handling(SecondPlan.BUYER_FAULT, note, at)

    def _second_handling(self, plan, note, at):
        self.second_handling_plan, self.second_handling_note = plan, note
        self.second_handled_at = at
        self._mark_first_action(at)

    @transition(field=state, source=S.AGREED, target=S.PLATFORM_REVIEW)
    def missed_ship_date(self):
        pass

    @transition(
        field=state,
        source=[
            S.AWAITING_REPLY,
            S.AWAITING_BUYER,
            S.AGREED,
            S.COMPENSATED,
            S.AWAITING_SETTLEMENT,
        ],
        target=S.COMPLETED,
    )
    def settle(self, *, settlement, at):
        self._record_settlement(settlement, at)
        self.completed_at = at

    @transition(field=state, source=S.PLATFORM_REVIEW, target=S.PLATFORM_REVIEW)
    def record_settlement(self, *, settlement, at):
        """§4: a settlement during review is recorded; the ticket completes with the complaint."""
        self._record_settlement(settlement, at)

    def _record_settlement(self, settlement, at):
        self.settlement, self.settled_at = settlement, at
        self._mark_first_action(at)

    @transition(
        field=state,
        source=S.PLATFORM_REVIEW,
        target=RETURN_VALUE(S.COMPLETED, S.AWAITING_SETTLEMENT),
    )
    def complaint_finished(self, *, at):
        if self.settled_at is not None:
            self.completed_at = at
            return S.COMPLETED
        return S.AWAITING_SETTLEMENT


class MessageKind(models.TextChoices):
    TICKET_OPENED = "ticket_opened", _("urge received")
    REPLY = "reply", _("merchant reply")
    DEEMED_ACCEPTED = "deemed_accepted", _("plan deemed accepted")
    BUYER_RESPONSE = "buyer_response", _("buyer response recorded")
    COMPLAINT_FILED = "complaint_filed", _("complaint filed")
    COMPLAINT_DECIDED = "complaint_decided", _("complaint decided")
    COMPENSATION = "compensation", _("compensation")
    COMPLETED = "completed", _("ticket completed")


class OutboxRow(models.Model):
    """One delivery of the outbox (§10 buyer messages, §15 merchant events): written in the
    causing transaction, then leased, signed, retried with backoff and, past the retry horizon,
    `dead` until operations redeliver it. `tickets/delivery.py` owns every change of these
    columns; a concrete outbox adds what it delivers and `outbox_indexes(prefix)`.

    pending: `delivered_at` and `dead_at` both empty (`next_attempt_at` is when it may be
    tried: a lease or a backoff pushes it ahead); delivered: `delivered_at`; dead: `dead_at`."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    retry_until = models.DateTimeField(
        _("retried until"),
        null=True,
        blank=True,
        help_text=_("set at the first attempt (and at a redelivery): the retry horizon"),
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_response = models.TextField(
        _("last response"),
        blank=True,
        default="",
        db_default="",  # rows inserted by hand (seeds, set-based writes) start without one
        help_text=_("the start of the receiver's last answer"),
    )
    dead_at = models.DateTimeField(_("dead since"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def delivery_status(self) -> str:
        """pending | delivered | failed | dead (the §15 delivery log's `status`)."""
        if self.delivered_at is not None:
            return "delivered"
        if self.dead_at is not None:
            return "dead"
        return "failed" if self.last_error else "pending"


PENDING_DELIVERY = Q(delivered_at__isnull=True, dead_at__isnull=True)


def outbox_indexes(prefix: str) -> list[models.Index]:
    """The partial indexes every outbox needs, each as small as the rows it holds: pending rows
    by when they may be tried (the claim), pending rows by age (the backlog's oldest row and
    its count) and dead rows (their count and the redelivery list)."""
    return [
        models.Index(
            fields=["next_attempt_at"], condition=PENDING_DELIVERY, name=f"{prefix}_pending_idx"
        ),
        models.Index(
            fields=["created_at"], condition=PENDING_DELIVERY, name=f"{prefix}_pending_age_idx"
        ),
        models.Index(
            fields=["dead_at"], condition=Q(dead_at__isnull=False), name=f"{prefix}_dead_idx"
        ),
    ]


class BuyerMessage(OutboxRow):
    """The outbox of §10: written in the transition's transaction, delivered by a task."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_messages"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    text = models.TextField(_("text"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("buyer message")
        verbose_name_plural = _("buyer messages")
        ordering = ["created_at", "id"]
        indexes = [
            *outbox_indexes("message"),
            models.Index(fields=["buyer", "created_at"], name="message_buyer_idx"),
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.buyer_id} (#{self.ticket_id})"


ZERO = Decimal("0.00")


class SecondHandlingRevocation(models.Model):
    """§6 rollout taken back from a shop (by mistake, or to stop it): who, when, why, from
    which instant the shop had had it, and how many replied tickets kept their entry."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="revocations", verbose_name=_("shop")
    )
    had_since = models.DateTimeField(_("had second handling since"))
    revoked_at = models.DateTimeField(_("taken back at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("taken back by"),
    )
    reason = models.TextField(_("why"))
    tickets_kept = models.PositiveIntegerField(_("replied tickets that keep their entry"))

    class Meta:
        verbose_name = _("second handling taken back")
        verbose_name_plural = _("second handling taken back")
        ordering = ["-revoked_at", "-id"]

    def __str__(self):
        return f"{self.shop.code} @ {self.revoked_at:%Y-%m-%d %H:%M}"


class RolloutSchedule(models.Model):
    """§6: a gradual rollout of second handling, the share of shops growing linearly from
    `start_percentage` at `starts_at` to `target_percentage` at `ends_at` (the announcement
    rolled out over May 8–15). `manage.py rollout_second_handling` applies it; shops keep the
    instant they got the feature, so a schedule never takes it away."""

    platform = models.CharField(
        _("platform"),
        max_length=16,
        choices=Platform.choices,
        blank=True,
        help_text=_("empty for every platform"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    start_percentage = models.DecimalField(
        _("percentage at the start"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    target_percentage = models.DecimalField(
        _("percentage at the end"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_applied_at = models.DateTimeField(_("last applied at"), null=True, blank=True)
    last_applied_percentage = models.DecimalField(
        _("last applied percentage"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("second-handling rollout schedule")
        verbose_name_plural = _("second-handling rollout schedules")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="rollout_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(start_percentage__gte=0)
                & Q(target_percentage__lte=100)
                & Q(target_percentage__gte=models.F("start_percentage")),
                name="rollout_percentages_rise_within_0_100",
            ),
        ]

    def __str__(self):
        scope = self.get_platform_display() if self.platform else _("all platforms")
        return f"{scope}: {self.start_percentage}% → {self.target_percentage}%"

    def percentage_at(self, at: dt.datetime) -> Decimal:
        """The share of shops that should have the feature at `at` (linear between the dates,
        rounded down to the hundredth so that a shop is never enabled early)."""
        if at < self.starts_at:
            return Decimal("0")
        if at >= self.ends_at:
            return Decimal(self.target_percentage)
        done = Decimal((at - self.starts_at).total_seconds()) / Decimal(
            (self.ends_at - self.starts_at).total_seconds()
        )
        value = (
            Decimal(self.start_percentage)
            + (Decimal(self.target_percentage) - Decimal(self.start_percentage)) * done
        )
        return value.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")


# -- §9 figures per shop and day (maintained by tickets.rollups) ----------------------------


class ShopDay(models.Model):
    """A shop's tickets created on one day (Asia/Shanghai): those handled (a first merchant
    action) with the sum of their handling seconds; those not handled yet (`waiting`) with the
    sum of their creation instants (seconds since the Unix epoch: their handling seconds at any
    instant follow from it); their complaints filed, timeouts and upheld. Kept by database
    triggers in the statements that change them (`tickets.rollups`)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    handled = models.IntegerField(default=0)
    handled_seconds = models.FloatField(default=0)
    complaints = models.IntegerField(default=0)
    timeouts = models.IntegerField(default=0)
    upheld = models.IntegerField(default=0)
    waiting = models.IntegerField(default=0)
    waiting_created = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="shop_day_unique")]

    def __str__(self):
        return f"{self.shop_id} {self.day}"


class ShopDayBucket(models.Model):
    """How many of a shop's tickets created on one day were handled within each band of
    handling time (`tickets.rollups.bucket`: 5 % wide), for the percentiles of a big shop."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    bucket = models.SmallIntegerField()
    handled = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day", "bucket"], name="shop_day_bucket_unique")
        ]

    def __str__(self):
        return f"{self.shop_id} {self.day} #{self.bucket}"


class ShopHourWaiting(models.Model):
    """A shop's tickets created in one hour of one day (Asia/Shanghai) not handled yet, with
    the sum of their creation instants (epoch seconds), for the percentiles of a big shop: at
    any instant their handling times lie within the hour's width of the mean."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.SmallIntegerField()
    waiting = models.IntegerField(default=0)
    created = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day", "hour"], name="shop_hour_waiting_unique")
        ]

    def __str__(self):
        return f"{self.shop_id} {self.day} {self.hour}h"


class ShopOpenComplaints(models.Model):
    """How many of a shop's complaints are open now (`complaints.models.OPEN_STATES`), for the
    review queue's shop filter: the shops with the most, read from `shop_open_idx` with a
    LIMIT, no complaint read. A row at 0 may stay; readers skip it. Kept by the same database
    triggers (`tickets.rollups`)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, primary_key=True, related_name="+")
    open = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-open", "shop"], name="shop_open_idx")]

    def __str__(self):
        return f"{self.shop_id}: {self.open} open"
