"""Complaints filed on the buyer's behalf (§7), their evidence, liability and compensation."""

import os
import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from tickets.models import MONEY, Payout, Ticket


class ComplaintKind(models.TextChoices):
    REPLY_TIMEOUT = "reply_timeout", _("Reply timed out")
    PLAN_REJECTED = "plan_rejected", _("Ship-later plan rejected")
    CANNOT_SHIP = "cannot_ship", _("Merchant cannot ship")
    MISSED_SHIP_DATE = "missed_ship_date", _("Promised date missed")
    BUYER_FAULT_CLAIM = (
        "buyer_fault_claim",
        _("Merchant claims buyer fault"),
    )


class ComplaintState(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_REVIEW = "in_review", _("In review")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")
    APPEALED = "appealed", _("Appealed")
    OVERTURNED = "overturned", _("Appeal granted")
    UPHELD_FINAL = "upheld_final", _("Appeal denied")


C = ComplaintState
# A complaint is open while it holds its ticket in platform review.
OPEN_STATES = (C.PENDING, C.IN_REVIEW)
# `upheld` counts as finished for the ticket: the appeal window does not hold it open.
TICKET_FINISHING_STATES = (C.UPHELD, C.DISMISSED)
# What waits for a reviewer, each against its review target (`review_due_at`): new and
# claimed complaints (§7) and appeals (§18).
REVIEW_STATES = (C.PENDING, C.IN_REVIEW, C.APPEALED)


class Complaint(ConcurrentTransitionMixin, models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("kind"), max_length=32, choices=ComplaintKind.choices)
    state = FSMField(
        _("state"), default=C.PENDING, choices=C.choices, protected=True, db_index=True
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("empty when the platform filed it automatically"),
    )
    merchant_note = models.TextField(_("merchant's note"), blank=True)
    # The target of the review waiting now: filed + the policy's `review_target`, then, once
    # appealed, the appeal + its `appeal_review_target` (§18); flagged by the same sweep.
    review_due_at = models.DateTimeField(_("review target"))
    review_overdue_flagged_at = models.DateTimeField(
        _("flagged past review target at"), null=True, blank=True
    )

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    appeal_due_at = models.DateTimeField(_("appeal due at"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appeal_note = models.TextField(_("appeal note"), blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appeal_decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    appeal_decision_note = models.TextField(_("appeal decision note"), blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["filed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="one_complaint_per_kind"),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_complaint_per_ticket",
            ),
        ]
        indexes = [
            # Every list of complaints newest first (the API's order), a page at a time.
            models.Index(fields=["filed_at", "id"], name="complaint_filed_idx"),
            # The review queue and the review-target sweep: open complaints, oldest first.
            models.Index(
                fields=["filed_at"], condition=Q(state__in=OPEN_STATES), name="complaint_queue_idx"
            ),
            # The review-target sweep: complaints and appeals waiting, not yet flagged.
            models.Index(
                fields=["review_due_at"],
                condition=Q(state__in=REVIEW_STATES, review_overdue_flagged_at__isnull=True),
                name="complaint_review_due_idx",
            ),
            # §16's figures: open complaints of each kind, and those past their review target
            # (flagged or not), oldest first, from the index alone.
            models.Index(
                fields=["kind", "review_due_at"],
                condition=Q(state__in=OPEN_STATES),
                name="complaint_open_kind_due_idx",
            ),
            # The queue sorted by time left to target (§18), a page at a time.
            models.Index(
                fields=["review_due_at", "id"],
                condition=Q(state__in=REVIEW_STATES),
                name="complaint_review_target_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def is_past_review_target(self, at) -> bool:
        """Waiting for a reviewer (a complaint or an appeal) past its review target."""
        return self.state in REVIEW_STATES and at >= self.review_due_at

    def appeal_window_open(self, at) -> bool:
        return self.state == C.UPHELD and self.appeal_due_at is not None and at < self.appeal_due_at

    # -- transitions (pure) -------------------------------------------------------------
    @transition(field=state, source=C.PENDING, target=C.IN_REVIEW)
    def claim(self, *, by, at):
        self.assignee, self.claimed_at = by, at

    @transition(field=state, source=C.IN_REVIEW, target=C.PENDING)
    def release(self):
        self.assignee, self.claimed_at = None, None

    def _decide(self, by, note, at):
        self.decided_by, self.decision_note, self.decided_at = by, note, at

    @transition(field=state, source=C.IN_REVIEW, target=C.UPHELD)
    def uphold(self, *, by, note, at, appeal_window):
        self._decide(by, note, at)
        self.appeal_due_at = at + appeal_window

    @transition(field=state, source=C.IN_REVIEW, target=C.DISMISSED)
    def dismiss(self, *, by, note, at):
        self._decide(by, note, at)

    @transition(field=state, source=C.UPHELD, target=C.APPEALED)
    def appeal(self, *, by, note, at, review_target):
        self.appealed_by, self.appeal_note, self.appealed_at = by, note, at
        # The appeal waits for a reviewer on its own clock (§18), flagged afresh.
        self.review_due_at, self.review_overdue_flagged_at = at + review_target, None

    def _decide_appeal(self, by, note, at):
        self.appeal_decided_by, self.appeal_decision_note = by, note
        self.appeal_decided_at = at

    @transition(field=state, source=C.APPEALED, target=C.OVERTURNED)
    def grant_appeal(self, *, by, note, at):
        self._decide_appeal(by, note, at)

    @transition(field=state, source=C.APPEALED, target=C.UPHELD_FINAL)
    def deny_appeal(self, *, by, note, at):
        self._decide_appeal(by, note, at)


class Decision(models.TextChoices):
    """The reviewer's decisions that take a note (§7)."""

    UPHOLD = "uphold", _("Uphold")
    DISMISS = "dismiss", _("Dismiss")
    GRANT_APPEAL = "grant_appeal", _("Grant the appeal")
    DENY_APPEAL = "deny_appeal", _("Deny the appeal")


class DecisionTemplateQuerySet(models.QuerySet):
    def for_complaint(self, complaint, decisions=None):
        """The active templates of the complaint's kind (or of every kind), for the decisions
        given (or any), in the order operations set."""
        templates = self.filter(is_active=True, kind__in=[complaint.kind, ""])
        if decisions is not None:
            templates = templates.filter(decision__in=[*decisions, ""])
        return templates.order_by("position", "title", "id")


class DecisionTemplate(models.Model):
    """决定模板 (§18): a canned decision note, kept by operations per complaint kind (and per
    decision, or for any); a reviewer inserts one into the decision note and edits it."""

    kind = models.CharField(
        _("kind"),
        max_length=32,
        choices=ComplaintKind.choices,
        blank=True,
        help_text=_("Empty: offered for every kind."),
    )
    decision = models.CharField(
        _("decision"),
        max_length=16,
        choices=Decision.choices,
        blank=True,
        help_text=_("Empty: offered for any decision."),
    )
    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"), max_length=4000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DecisionTemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision template")
        verbose_name_plural = _("decision templates")
        ordering = ["kind", "position", "title", "id"]

    def __str__(self):
        return self.title


# Evidence never sits under a public URL: served only by a view that checks the viewer.
class EvidenceStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT/evidence, read from the settings at each use (not frozen
    at import), so a deployment or a test that moves PRIVATE_MEDIA_ROOT moves the files too."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT / "evidence"

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def evidence_storage():
    return EvidenceStorage()


def evidence_path(instance, filename):
    # The stored name is ours; the uploader's name is kept only as text.
    return f"{instance.ticket_id}/{uuid.uuid4().hex}.{instance.extension}"


class Evidence(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="evidence")
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), storage=evidence_storage, upload_to=evidence_path)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CompensationKind(models.TextChoices):
    STOCKOUT = "stockout", _("Stock-out, proactive")
    LATE_SHIPMENT = "late_shipment", _("Late shipment")


class Compensation(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="compensations")
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="compensations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CompensationKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    payout = models.CharField(_("paid as"), max_length=16, choices=Payout.choices)
    points = models.PositiveIntegerField(_("Tmall points"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="one_compensation_per_kind"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="compensation_amount_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ¥{self.amount}"


class Liability(models.Model):
    """判责: the outcome of an upheld complaint. Reversed when an appeal is granted."""

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="liability")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="liabilities")
    shop = models.ForeignKey("tickets.Shop", on_delete=models.PROTECT, related_name="liabilities")
    points = models.PositiveSmallIntegerField(_("penalty points"))
    compensation = models.OneToOneField(
        Compensation, null=True, blank=True, on_delete=models.PROTECT, related_name="liability"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("liability")
        verbose_name_plural = _("liabilities")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="liability_points_non_negative")
        ]

    def __str__(self):
        return f"{self.shop.code}: {self.points} pts"
