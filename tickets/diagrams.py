"""State diagrams generated from the state machines themselves (django-fsm-2's transition
metadata), so the pictures in README.md cannot drift from the code: a test compares them."""

import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django_fsm import ANY_OTHER_STATE, ANY_STATE, FSMFieldMixin, State

README_BEGIN = "<!-- states:begin -->"
README_END = "<!-- states:end -->"
# The models drawn in README.md, in this order, with their headings.
README_MODELS = (
    ("tickets.Ticket", "Ticket"),
    ("complaints.Complaint", "Complaint"),
)


def _model(model_or_label):
    if isinstance(model_or_label, str):
        if model_or_label.count(".") != 1:
            raise ValueError(f"give the model as app_label.Model, not {model_or_label!r}")
        return apps.get_model(model_or_label)
    return model_or_label


def fsm_field(model, field_name: str = "state"):
    """The model's FSM field (ValueError when there is no such field or it is not one)."""
    model = _model(model)
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        raise ValueError(f"{model.__name__} has no field {field_name!r}") from None
    if not isinstance(field, FSMFieldMixin):
        raise ValueError(f"{model.__name__}.{field_name} is not a state machine field")
    return field


def transitions(model, field_name: str = "state") -> list[tuple[str, str, str]]:
    """Every (source, target, transition name) edge of the model's FSM field. A RETURN_VALUE
    target gives one edge per allowed state; `*` and `+` sources give one per state."""
    model = _model(model)
    field = fsm_field(model, field_name)
    states = [str(value) for value, _label in field.choices]
    edges = set()
    for tr in field.get_all_transitions(model):
        if tr.source == ANY_STATE:
            sources = states
        elif tr.source == ANY_OTHER_STATE:
            sources = [s for s in states if s != str(tr.target)]
        else:
            sources = [str(tr.source)]
        if isinstance(tr.target, State):
            targets = [str(t) for t in (tr.target.allowed_states or ())]
            if not targets:
                raise ValueError(
                    f"{model.__name__}.{tr.name}: a computed target without allowed states "
                    "cannot be drawn; list them in RETURN_VALUE(...)"
                )
        elif tr.target is None:  # a transition that keeps the state
            targets = sources
        else:
            targets = [str(tr.target)]
        for source in sources:
            for target in targets:
                edges.add((source, target, tr.name))
    order = {s: i for i, s in enumerate(states)}
    return sorted(edges, key=lambda e: (order.get(e[0], 99), order.get(e[1], 99), e[2]))


def mermaid(model, field_name: str = "state") -> str:
    """A Mermaid `stateDiagram-v2` of the model's FSM field: the initial state (the field's
    default), one arrow per source/target pair labelled with the transitions that take it,
    and an end marker on the states that nothing leaves."""
    model = _model(model)
    field = fsm_field(model, field_name)
    edges = transitions(model, field_name)
    # Labels in the source language, whatever language is active, so the text is stable.
    with translation.override(None):
        labels = [(str(value), str(label)) for value, label in field.choices]
    lines = ["stateDiagram-v2"]
    for value, label in labels:
        # A colon would end Mermaid's description early.
        lines.append(f"    {value} : {label.replace(':', ' ')}")
    default = field.get_default()
    if default:
        lines.append(f"    [*] --> {default}")
    merged: dict[tuple[str, str], list[str]] = {}
    for source, target, name in edges:
        merged.setdefault((source, target), []).append(name)
    for (source, target), names in merged.items():
        lines.append(f"    {source} --> {target} : {', '.join(names)}")
    leaving = {source for source, target, _name in edges if source != target}
    for value, _label in labels:
        if value not in leaving:
            lines.append(f"    {value} --> [*]")
    return "\n".join(lines) + "\n"


def readme_section() -> str:
    """What README.md holds between its state markers: one fenced diagram per model."""
    parts = []
    for label, heading in README_MODELS:
        parts.append(f"### {heading}\n\n```mermaid\n{mermaid(label)}```\n")
    return "\n".join(parts)


_SECTION = re.compile(re.escape(README_BEGIN) + r"\n?(.*?)" + re.escape(README_END), re.DOTALL)


def readme_current(text: str) -> str:
    """The text between the markers of a README (ValueError if the markers are missing)."""
    match = _SECTION.search(text)
    if match is None:
        raise ValueError(f"README has no {README_BEGIN} ... {README_END} section")
    return match.group(1)


def readme_with_diagrams(text: str) -> str:
    """The README text with its state section replaced by the generated diagrams."""
    readme_current(text)  # the markers must be there
    return _SECTION.sub(lambda _m: f"{README_BEGIN}\n{readme_section()}{README_END}", text, count=1)
