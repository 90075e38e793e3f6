"""Shops, their merchant staff, and the rollout of second handling (§6): by selection or by
`RolloutSchedule`, and taken back from a shop (with who and why) when it was a mistake."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, F, Func, IntegerField, OuterRef, Q, Subquery, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..exceptions import DomainError
from ..models import RolloutSchedule, SecondHandlingRevocation, Shop, ShopMembership
from ..rollout import rollout_schedule_apply
from ..services import shop_enable_second_handling, shop_revoke_second_handling
from .display import ReadOnlyInline, local


class SecondHandlingFilter(admin.SimpleListFilter):
    title = gettext_lazy("second handling")
    parameter_name = "second_handling"

    def lookups(self, request, model_admin):
        return [("yes", _("Rolled out")), ("no", _("Not yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(second_handling_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(second_handling_since__isnull=True)
        return queryset


class MembershipInline(admin.TabularInline):
    model = ShopMembership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    verbose_name_plural = gettext_lazy("merchant staff")


class RevocationInline(ReadOnlyInline):
    model = SecondHandlingRevocation
    fields = ("revoked_at", "revoked_by", "had_since", "reason", "tickets_kept")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = gettext_lazy("second handling taken back")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revoked_by")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (kept with the record)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "platform", "second_handling", "created")
    list_filter = ("platform", SecondHandlingFilter)
    search_fields = ("=code", "name")
    search_help_text = gettext_lazy("An exact shop code, or a part of the name.")
    list_per_page = 50
    show_full_result_count = False
    actions = ("enable_second_handling", "revoke_second_handling")
    inlines = (MembershipInline, RevocationInline)
    change_list_template = "admin/tickets/shop/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        # The rollout instant is set only by the rollout (action, schedule or command).
        if obj is None:
            return ("second_handling_since",)
        return ("code", "platform", "second_handling_since", "created_at", "records")

    @admin.display(description=gettext_lazy("tickets"))
    def records(self, obj):
        tickets = reverse("admin:tickets_ticket_changelist") + f"?shop__id__exact={obj.pk}"
        complaints = reverse("admin:complaints_complaint_changelist") + f"?shop={obj.pk}&queue=all"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            tickets,
            _("tickets"),
            complaints,
            _("all complaints of this shop"),
        )

    @admin.display(
        description=gettext_lazy("second handling since"), ordering="second_handling_since"
    )
    def second_handling(self, obj):
        if obj.second_handling_since is None:
            return format_html('<span class="rv-muted">{}</span>', _("not yet"))
        return local(obj.second_handling_since)

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Enable second handling now for selected shops"),
    )
    def enable_second_handling(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        changed = shop_enable_second_handling(shops=ids)
        self.message_user(
            request,
            _("Second handling enabled for %(n)d shop(s); %(kept)d already had it.")
            % {"n": changed, "kept": len(ids) - changed},
            messages.SUCCESS,
        )

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Take second handling back from selected shops"),
    )
    def revoke_second_handling(self, request, queryset):
        """Asks why first (a page of its own), then takes it back shop by shop through
        `shop_revoke_second_handling`, which records who and why."""
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        shops = list(queryset.order_by("code"))
        if form.is_bound and form.is_valid():
            for shop in shops:
                try:
                    revocation = shop_revoke_second_handling(
                        shop_id=shop.pk, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    self.message_user(request, error.message, messages.ERROR)
                    continue
                self.message_user(
                    request,
                    _(
                        "Second handling taken back from %(shop)s; %(kept)d replied ticket(s) "
                        "keep their entry."
                    )
                    % {"shop": shop.code, "kept": revocation.tickets_kept},
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/tickets/shop/revoke_second_handling.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Take second handling back"),
                "opts": self.model._meta,
                "shops": shops,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(ShopMembership)
class ShopMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "shop", "created_at")
    list_select_related = ("user", "shop")
    raw_id_fields = ("user", "shop")
    search_fields = ("=user__username", "=shop__code")
    list_per_page = 50


class RolloutScheduleForm(forms.ModelForm):
    class Meta:
        model = RolloutSchedule
        fields = (
            "platform",
            "starts_at",
            "ends_at",
            "start_percentage",
            "target_percentage",
            "note",
        )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        elif ends and ends <= timezone.now() and not self.instance.pk:
            self.add_error("ends_at", _("A new schedule must end in the future."))
        low, high = data.get("start_percentage"), data.get("target_percentage")
        if low is not None and high is not None and high < low:
            self.add_error(
                "target_percentage", _("The percentage at the end cannot be below the start.")
            )
        return data


class Counted(Func):
    """COUNT(id) without GROUP BY: a subquery that counts the rows it filters."""

    function = "COUNT"
    output_field = IntegerField()


SHOPS = Shop.objects.order_by().annotate(n=Counted(F("id"))).values("n")
SHOPS_WITH_FEATURE = SHOPS.filter(second_handling_since__isnull=False)


@admin.register(RolloutSchedule)
class RolloutScheduleAdmin(admin.ModelAdmin):
    form = RolloutScheduleForm
    list_display = (
        "scope",
        "starts",
        "ends",
        "percentages",
        "due_now",
        "having_now",
        "last_applied",
    )
    actions = ("apply_now",)
    readonly_fields = ("created_by", "created_at", "last_applied_at", "last_applied_percentage")

    def get_queryset(self, request):
        # How many shops of the schedule's scope have the feature, in the same query.
        of_platform = Q(platform=OuterRef("platform"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                shops_having=Case(
                    When(platform="", then=Subquery(SHOPS_WITH_FEATURE)),
                    default=Subquery(SHOPS_WITH_FEATURE.filter(of_platform)),
                ),
                shops_total=Case(
                    When(platform="", then=Subquery(SHOPS)),
                    default=Subquery(SHOPS.filter(of_platform)),
                ),
            )
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("platform"))
    def scope(self, obj):
        return obj.get_platform_display() if obj.platform else _("all platforms")

    @admin.display(description=gettext_lazy("starts at"), ordering="starts_at")
    def starts(self, obj):
        return local(obj.starts_at)

    @admin.display(description=gettext_lazy("ends at"), ordering="ends_at")
    def ends(self, obj):
        return local(obj.ends_at)

    @admin.display(description=gettext_lazy("share of shops"))
    def percentages(self, obj):
        return f"{obj.start_percentage}% → {obj.target_percentage}%"

    @admin.display(description=gettext_lazy("due now"))
    def due_now(self, obj):
        return f"{obj.percentage_at(timezone.now())}%"

    @admin.display(description=gettext_lazy("shops having it"))
    def having_now(self, obj):
        having, total = obj.shops_having or 0, obj.shops_total or 0
        share = f"{having * 100 / total:.1f}%" if total else "—"
        return f"{having} / {total} ({share})"

    @admin.display(description=gettext_lazy("last applied"), ordering="last_applied_at")
    def last_applied(self, obj):
        if obj.last_applied_at is None:
            return "—"
        return f"{local(obj.last_applied_at)} ({obj.last_applied_percentage}%)"

    @admin.action(permissions=["change"], description=gettext_lazy("Apply selected schedules now"))
    def apply_now(self, request, queryset):
        for schedule_id in queryset.values_list("pk", flat=True):
            result = rollout_schedule_apply(schedule_id=schedule_id)
            self.message_user(
                request,
                _(
                    "%(scope)s: %(percentage)s%% due now; %(enabled)d shop(s) enabled, "
                    "%(having)d of %(total)d have it."
                )
                % result,
                messages.SUCCESS,
            )
