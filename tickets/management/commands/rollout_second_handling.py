"""§6 rollout of second handling, from the command line (cron, or by hand on rollout days).

manage.py rollout_second_handling                   # apply the running schedules for now
manage.py rollout_second_handling --percentage 25 --platform taobao
manage.py rollout_second_handling --shops shop-a shop-b
manage.py rollout_second_handling --dry-run         # show what is due, change nothing
"""

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils import timezone
from tqdm import tqdm

from tickets.exceptions import DomainError
from tickets.models import Platform, Shop
from tickets.rollout import rollout_schedule_apply, rollout_schedules_running
from tickets.services import shop_enable_second_handling, shop_rollout_percentage

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Roll second handling out to shops: apply the running schedules' percentage for now "
        "(linear between start and end), or enable listed shops, or a percentage of shops."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--shops", nargs="+", metavar="CODE", help="shop codes to enable now")
        what.add_argument(
            "--percentage", help="open the feature to at least this %% of shops (0 to 100)"
        )
        parser.add_argument("--platform", choices=Platform.values, help="with --percentage")
        parser.add_argument("--dry-run", action="store_true", help="show, change nothing")

    def handle(self, *args, shops=None, percentage=None, platform=None, dry_run=False, **opts):
        if platform and percentage is None:
            raise CommandError("--platform goes with --percentage")
        if shops:
            return self.enable_shops(shops, dry_run)
        if percentage is not None:
            return self.apply_percentage(percentage, platform, dry_run)
        return self.apply_schedules(dry_run)

    def enable_shops(self, codes, dry_run):
        codes = sorted(set(codes))
        found = dict(Shop.objects.filter(code__in=codes).values_list("code", "pk"))
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise CommandError(f"unknown shop code(s): {', '.join(unknown)}")
        ids = [found[c] for c in codes]
        if dry_run:
            waiting = Shop.objects.filter(pk__in=ids, second_handling_since__isnull=True).count()
            self.stdout.write(f"would enable {waiting} of {len(ids)} shop(s)")
            return
        at, enabled = timezone.now(), 0
        with tqdm(total=len(ids), desc="shops", unit="shop", file=self.stderr) as bar:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                enabled += shop_enable_second_handling(shops=chunk, at=at)
                bar.update(len(chunk))
        self.stdout.write(
            self.style.SUCCESS(f"enabled {enabled} shop(s); {len(ids) - enabled} already had it")
        )

    def apply_percentage(self, percentage, platform, dry_run):
        try:
            value = Decimal(percentage)
        except InvalidOperation:
            raise CommandError("--percentage must be a number from 0 to 100") from None
        if not (0 <= value <= 100):
            raise CommandError("--percentage must be a number from 0 to 100")
        if dry_run:
            self.show_progress(platform, value)
            return
        try:
            enabled, having, total = shop_rollout_percentage(percentage=value, platform=platform)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.show_progress(platform, value)
        self.stdout.write(
            self.style.SUCCESS(f"enabled {enabled} shop(s); {having} of {total} have it")
        )

    def apply_schedules(self, dry_run):
        at = timezone.now()
        schedules = list(rollout_schedules_running(at))
        if not schedules:
            self.stdout.write("no rollout schedule is running")
            return
        for schedule in tqdm(schedules, desc="schedules", unit="schedule", file=self.stderr):
            due = schedule.percentage_at(at)
            if dry_run:
                self.show_progress(schedule.platform or None, due)
                continue
            result = rollout_schedule_apply(schedule_id=schedule.pk, at=at)
            self.show_progress(schedule.platform or None, due)
            self.stdout.write(
                f"{result['scope']}: {due}% due; enabled {result['enabled']} shop(s); "
                f"{result['having']} of {result['total']} have it"
            )

    def show_progress(self, platform, due):
        """A bar of the scope's shops having the feature, against the share due."""
        shops = Shop.objects.all() if platform is None else Shop.objects.filter(platform=platform)
        counts = shops.aggregate(
            total=Count("id"), having=Count("id", filter=Q(second_handling_since__isnull=False))
        )
        label = platform or "all"
        with tqdm(
            total=counts["total"] or 0,
            initial=counts["having"],
            desc=f"{label} ({due}% due)",
            unit="shop",
            file=self.stderr,
        ):
            pass
