"""Looking up configuration: which time limit applies, which unit a case should go to."""

from datetime import date, datetime

from django.db.models import Q

from pingan.core.memo import Memo
from pingan.regions.models import Unit, with_ancestors

from .clocks import LOCAL, get_calendar
from .models import Case, Category, RoutingRule, TimeLimitRule
from .models.config import effective_on


def _category_chain(category: Category | None) -> list[int | None]:
    chain: list[int | None] = []
    while category is not None:
        chain.append(category.pk)
        category = category.parent
    return [*chain, None]


# The rule of a (stream, step, severity, category chain, day), kept by the process for a few seconds: a
# rule added or changed takes effect within PINGAN_MEMO_SECONDS (pingan.core.memo).
TIME_LIMITS: Memo[TimeLimitRule | None] = Memo("time_limit", forget_on=(TimeLimitRule, Category))


def time_limit(case: Case, step: str, day: date) -> TimeLimitRule | None:
    chain = _category_chain(case.category)
    key = (case.stream, step, case.severity, tuple(chain), day)
    return TIME_LIMITS.get(key, lambda: _read_time_limit(chain, case.stream, step, case.severity, day))


def _read_time_limit(
    chain: list[int | None], stream: str, step: str, severity: str, day: date
) -> TimeLimitRule | None:
    candidates = list(
        TimeLimitRule.objects.filter(
            effective_on(day),
            Q(category_id__in=[c for c in chain if c is not None]) | Q(category__isnull=True),
            stream=stream,
            step=step,
            severity__in=("", severity),
        )
    )
    if not candidates:
        return None
    return min(candidates, key=lambda r: (chain.index(r.category_id), r.severity == ""))


def limit_snapshot(rule: TimeLimitRule | None) -> dict:
    if rule is None:
        return {}
    return {"amount": rule.amount, "unit": rule.unit, "max_extension_days": rule.max_extension_days}


def due_from(start: datetime, limit: dict) -> datetime | None:
    if not limit:
        return None
    return get_calendar().add(start, limit["amount"], limit["unit"])


def step_due(case: Case, step: str, start: datetime) -> datetime | None:
    return due_from(start, limit_snapshot(time_limit(case, step, start.astimezone(LOCAL).date())))


def suggest_lead_unit(category: Category | None, region_code: str, day: date) -> Unit | None:
    """The most specific routing rule: longest region code, then deepest category; else the default."""
    if category is None:
        return None
    chain = _category_chain(category)
    prefixes = with_ancestors(region_code)
    rules = list(
        RoutingRule.objects.filter(
            effective_on(day), category_id__in=[c for c in chain if c], region_id__in=prefixes
        ).select_related("lead_unit")
    )
    rules = [r for r in rules if r.lead_unit.active]
    if rules:
        best = min(rules, key=lambda r: (-len(r.region_id), chain.index(r.category_id)))
        return best.lead_unit
    return category.default_lead_unit
