"""§19 policy what-if from the command line: what a changed policy would have done to the
platform's tickets of the last N days, beside the version in force. Prints one JSON object;
changes nothing (a read-only transaction, rolled back).

manage.py policy_impact --platform taobao
manage.py policy_impact --platform tmall --days 60 --ship-later-cap-days 20 --late-rate 0.08
manage.py policy_impact --platform taobao --reply-window 12:00:00

Every number of the policy is a flag named after its field (`--fresh-ship-later-cap-days`,
`--late-min`, `--payout tmall_points`, ...); the numbers not given are the latest version's.
Durations as Django reads them: "12:00:00", "1 00:00:00" (a day), or ISO 8601 "PT12H".
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from tqdm import tqdm

from tickets.exceptions import DomainError
from tickets.impact import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, policy_impact
from tickets.models import Platform, Policy
from tickets.services import POLICY_NUMBERS, policy_draft


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


class Command(BaseCommand):
    help = (
        "Replay the platform's tickets of the last N days under a changed policy and under "
        "the version in force; print the figures as one JSON object. Changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--platform", required=True, choices=Platform.values)
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"tickets created in the last N days ({MIN_DAYS} to {MAX_DAYS})",
        )
        for name in POLICY_NUMBERS:
            field = Policy._meta.get_field(name)
            choices = f" ({', '.join(c for c, _ in field.choices)})" if field.choices else ""
            parser.add_argument(
                flag(name),
                dest=name,
                metavar="VALUE",
                help=f"{field.verbose_name}{choices}",
            )

    def progress(self, slices):
        return tqdm(slices, desc="policy impact", unit="slice", file=self.stderr)

    def handle(self, *args, platform, days, **options):
        numbers = {name: options[name] for name in POLICY_NUMBERS if options.get(name) is not None}
        try:
            draft = policy_draft(platform=platform, **numbers)
            figures = policy_impact(
                platform=platform, draft=draft, days=days, progress=self.progress
            )
        except DomainError as error:
            where = flag(error.field) if error.field else ""
            raise CommandError(f"{where}: {error.message}" if where else error.message) from None
        self.stdout.write(json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
