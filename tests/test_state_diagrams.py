"""The README's state diagrams are generated from the FSM metadata and must match the code."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from complaints.models import Complaint, ComplaintState
from tickets import diagrams
from tickets.models import Ticket, TicketState

README = Path(settings.BASE_DIR) / "README.md"


def test_readme_diagrams_match_the_state_machines():
    current = diagrams.readme_current(README.read_text(encoding="utf-8"))
    assert current == diagrams.readme_section(), (
        "README.md's state diagrams are stale: run `manage.py state_diagram --write-readme`"
    )


def test_readme_has_one_mermaid_block_per_model():
    current = diagrams.readme_current(README.read_text(encoding="utf-8"))
    assert current.count("```mermaid\nstateDiagram-v2\n") == 2
    assert "### Ticket" in current and "### Complaint" in current


def test_every_transition_of_the_code_is_an_edge():
    edges = set(diagrams.transitions(Ticket))
    # RETURN_VALUE targets are expanded into each allowed state.
    assert {
        ("awaiting_reply", "awaiting_buyer", "reply"),
        ("awaiting_reply", "agreed", "reply"),
        ("awaiting_reply", "platform_review", "reply"),
        ("platform_review", "completed", "complaint_finished"),
        ("platform_review", "awaiting_settlement", "complaint_finished"),
    } <= edges
    # Multi-source transitions give one edge per source.
    assert ("awaiting_buyer", "compensated", "compensate") in edges
    assert ("agreed", "compensated", "compensate") in edges
    expected = set()
    for tr in Ticket._meta.get_field("state").get_all_transitions(Ticket):
        targets = getattr(tr.target, "allowed_states", None) or [tr.target]
        expected |= {(str(tr.source), str(t), tr.name) for t in targets}
    assert edges == expected


def test_diagram_marks_start_and_final_states():
    text = diagrams.mermaid(Complaint)
    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> pending\n" in text
    finals = {line.split()[0] for line in text.splitlines() if line.endswith("--> [*]")}
    assert finals == {
        ComplaintState.DISMISSED,
        ComplaintState.OVERTURNED,
        ComplaintState.UPHELD_FINAL,
    }
    ticket_text = diagrams.mermaid(Ticket)
    assert "    completed --> [*]\n" in ticket_text
    # platform_review loops on itself (record_settlement) but is not final.
    assert "platform_review --> [*]" not in ticket_text
    assert "    awaiting_buyer --> agreed : accept, buyer_silence\n" in ticket_text
    for state in TicketState.values:
        assert f"    {state} : " in ticket_text


def test_diagram_text_does_not_depend_on_the_active_language():
    with translation.override("zh-hans"):
        zh = diagrams.mermaid(Ticket)
    with translation.override("en"):
        en = diagrams.mermaid(Ticket)
    assert zh == en


def test_command_prints_a_models_diagram():
    out = io.StringIO()
    call_command("state_diagram", "tickets.Ticket", stdout=out)
    assert out.getvalue() == diagrams.mermaid(Ticket)


def test_command_without_model_prints_the_readme_section():
    out = io.StringIO()
    call_command("state_diagram", stdout=out)
    assert out.getvalue() == diagrams.readme_section()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets.Nope"], "doesn't have"),
        (["tickets.Shop"], "no field 'state'"),
        (["complaints.Complaint", "--field", "kind"], "not a state machine field"),
        (["ticket"], "app_label.Model"),
    ],
)
def test_command_refuses_what_is_not_a_state_machine(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("state_diagram", *args, stdout=io.StringIO())


def test_write_readme_replaces_only_the_marked_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\nbefore\n<!-- states:begin -->\nold text\n<!-- states:end -->\nafter\n",
        encoding="utf-8",
    )
    call_command("state_diagram", "--write-readme", "--readme", str(readme), stdout=io.StringIO())
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n<!-- states:begin -->\n### Ticket\n")
    assert text.endswith("```\n<!-- states:end -->\nafter\n")
    assert "old text" not in text
    assert diagrams.readme_current(text) == diagrams.readme_section()
    # A second run changes nothing.
    out = io.StringIO()
    call_command("state_diagram", "--write-readme", "--readme", str(readme), stdout=out)
    assert "up to date" in out.getvalue()
    assert readme.read_text(encoding="utf-8") == text


def test_write_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(CommandError, match="states:begin"):
        call_command("state_diagram", "--write-readme", "--readme", str(readme))
    assert readme.read_text(encoding="utf-8") == "# no markers\n"
