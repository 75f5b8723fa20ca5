"""Errors of a hand-written form, told in the form's own words.

The schemas report a refused value by its payload path (`region`, `reporter.phone`, `parties.0.name`);
a person reads the form by its labels (乡镇（街道）, 联系电话). A form lists its controls as `Spot`s,
in the order they appear, and `form_errors` turns a `DomainError` into a summary for the top of the
page (label, message, a link to the control) and a message per control name, for the mark beside it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from pingan.core.errors import DomainError
from pingan.core.templatetags.pingan_tags import field_label


@dataclass(frozen=True)
class Spot:
    """Where one payload field is entered: the control's name in the POST, its id and visible label."""

    name: str
    id: str
    label: str


@dataclass(frozen=True)
class FieldError:
    id: str  # "" when the form has no control for the field
    label: str
    message: str


@dataclass(frozen=True)
class FormErrors:
    summary: list[FieldError] = field(default_factory=list)
    by_name: dict[str, str] = field(default_factory=dict)  # control name → message


def form_errors(
    error: DomainError | None, spots: list[Spot], extra: Callable[[str], Spot | None] = lambda _: None
) -> FormErrors:
    """`spots` in form order; a payload path `a.b` belongs to the control named `a_b`. `extra` finds
    the spot of a path the list cannot name in advance (the fields of the n-th party). A path with no
    spot is listed under a generic name, without a link."""
    if error is None or not error.fields:
        return FormErrors()
    order = {s.name: i for i, s in enumerate(spots)}
    named = {s.name: s for s in spots}
    placed: list[tuple[int, FieldError, str]] = []
    for path, message in error.fields.items():
        spot = named.get(path.replace(".", "_")) or extra(path)
        if spot is None:
            placed.append((len(spots), FieldError("", field_label(path), str(message)), ""))
        else:
            placed.append(
                (order.get(spot.name, len(spots)), FieldError(spot.id, spot.label, str(message)), spot.name)
            )
    placed.sort(key=lambda p: p[0])
    by_name: dict[str, str] = {}
    for _, err, name in placed:
        if name:
            by_name.setdefault(name, err.message)
    return FormErrors([err for _, err, _ in placed], by_name)
