"""Hints that apps above cases put beside a form's field (pingan.suggest: 建议分类, 建议牵头单位).

Cases may not import those apps (STYLE: layers run one way), so an app registers its hint here in its
AppConfig.ready(): the view that renders it, and a cheap test of whether it has anything to offer now.
A form asks only the hints that do; with none, it is the form it always was.
"""

from collections.abc import Callable
from dataclasses import dataclass

INTAKE_CATEGORY = "intake_category"  # the registration form's category, asked with the form's fields
DISPATCH_LEAD_UNIT = "dispatch_lead_unit"  # the dispatch form's lead unit, asked with the case number


@dataclass(frozen=True)
class Hint:
    url_name: str
    ready: Callable[[], bool]


HINTS: dict[str, Hint] = {}


def ready_urls() -> dict[str, str]:
    """The URL names of the hints that have something to offer, by the field they belong to."""
    return {field: hint.url_name for field, hint in HINTS.items() if hint.ready()}
