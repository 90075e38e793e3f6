"""Print the Mermaid state diagram of a model's FSM field, generated from the code, or
refresh the diagrams in README.md (between its `states` markers)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tickets import diagrams


class Command(BaseCommand):
    help = (
        "Print Mermaid stateDiagram-v2 text for a model's state machine "
        "(default: the README section for Ticket and Complaint)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "model", nargs="?", help="app_label.Model, e.g. tickets.Ticket or complaints.Complaint"
        )
        parser.add_argument("--field", default="state", help="the FSM field (default: state)")
        parser.add_argument(
            "--write-readme",
            action="store_true",
            help="replace the diagrams between the states markers of README.md",
        )
        parser.add_argument(
            "--readme",
            default=str(Path(settings.BASE_DIR) / "README.md"),
            help="the README to update (default: the project's README.md)",
        )

    def handle(self, *args, model=None, field="state", write_readme=False, readme=None, **opts):
        if write_readme:
            path = Path(readme)
            try:
                text = path.read_text(encoding="utf-8")
                new = diagrams.readme_with_diagrams(text)
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            if new != text:
                path.write_text(new, encoding="utf-8")
                self.stdout.write(f"Updated the state diagrams in {path}.")
            else:
                self.stdout.write(f"The state diagrams in {path} are up to date.")
            return
        if model is None:
            self.stdout.write(diagrams.readme_section(), ending="")
            return
        try:
            self.stdout.write(diagrams.mermaid(model, field), ending="")
        except (LookupError, ValueError) as exc:
            raise CommandError(f"Cannot draw {model}.{field}: {exc}") from exc
