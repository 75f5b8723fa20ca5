"""The one case builder: staff intake, the grid worker's report, the portal, Open311 and the back-fill all
make their new cases here, with the same fields, the same accept clock and the same numbering.

`build_case` makes the unsaved case, `register` numbers and saves new cases with their people and
writes their events (one case or a whole back-filled file at a time).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import invalid
from pingan.core.memo import Memo
from pingan.regions.models import Region

from . import events
from .clocks import LOCAL
from .models import Case, CaseSerial, Category, Party, Reporter
from .rules import step_due
from .schemas import CaseIn

BULK_SIZE = 500
# Every intake reads its category and region by code: kept by the process for a few seconds
# (pingan.core.memo; a change takes effect within PINGAN_MEMO_SECONDS). Shared, so never modified.
CATEGORIES: Memo[Category | None] = Memo("category", forget_on=(Category,))
REGIONS: Memo[Region | None] = Memo("region", forget_on=(Region,))


def resolve_category(stream: str, code: str | None, field_name: str = "category") -> Category | None:
    if not code:
        return None
    category = CATEGORIES.get(
        code, lambda: Category.objects.select_related("parent").filter(code=code, active=True).first()
    )
    if category is None:
        raise invalid({field_name: f"分类代码 {code} 不存在"})
    if category.stream != stream:
        raise invalid({field_name: f"分类 {category.name} 不属于该业务类型"})
    return category


def resolve_region(
    code: str, user: User | None, roles: tuple[str, ...], field_name: str = "region"
) -> Region:
    """The region of a new case; a staff user must hold one of `roles` over it (None: the public)."""
    region = REGIONS.get(code, lambda: Region.objects.filter(code=code).first())
    if region is None:
        raise invalid({field_name: f"区划代码 {code} 不存在"})
    if user is not None and not any(scope_of(user).covers_region(r, code) for r in roles):
        raise invalid({field_name: "该区划不在您的管辖范围内"})
    return region


def build_case(
    *,
    stream: str,
    title: str,
    region: Region,
    channel: str,
    reported_at: datetime,
    category: Category | None = None,
    reported_by: User | None = None,
    **fields: Any,
) -> Case:
    """An unsaved case in 登记 with its accept clock running from `reported_at`. `fields` are further
    Case fields (description, address, lat, lng, occurred_at, severity, people_involved, is_group,
    has_receipt, extra)."""
    case = Case(
        stream=stream,
        category=category,
        title=title,
        channel=channel,
        region=region,
        reported_at=reported_at,
        reported_by=reported_by,
        **fields,
    )
    case.accept_due = step_due(case, "accept", reported_at)
    return case


def build_from_intake(
    data: CaseIn,
    *,
    category: Category | None,
    region: Region,
    channel: str,
    reported_at: datetime,
    reported_by: User,
) -> Case:
    """The case a checked staff intake describes: CaseIn's one field mapping, for the intake form, the
    API, the grid worker's report and the back-fill."""
    return build_case(
        stream=data.stream,
        category=category,
        title=data.title,
        region=region,
        channel=channel,
        reported_at=reported_at,
        reported_by=reported_by,
        description=data.description,
        address=data.address,
        lat=data.lat,
        lng=data.lng,
        occurred_at=data.occurred_at,
        severity=data.severity,
        people_involved=data.people_involved,
        is_group=data.is_group,
    )


def reserve_numbers(county: str, year: int, count: int = 1) -> list[str]:
    """The next `count` case numbers of a county and year, never reused. The row lock serialises
    numbering per county and year until the cases are committed."""
    serial, _ = CaseSerial.objects.select_for_update().get_or_create(county=county, year=year)
    first = serial.last + 1
    serial.last += count
    serial.save(update_fields=["last"])
    return [f"PA-{county}-{year}-{n:06d}" for n in range(first, serial.last + 1)]


def _number(cases: Sequence[Case]) -> None:
    """Numbers by county and year of registration; serial locks taken in a fixed order."""
    wanted: dict[tuple[str, int], list[Case]] = {}
    for case in cases:
        wanted.setdefault((case.region_id[:6], case.reported_at.astimezone(LOCAL).year), []).append(case)
    for (county, year), group in sorted(wanted.items()):
        for case, number in zip(group, reserve_numbers(county, year, len(group)), strict=True):
            case.number = number


@dataclass
class People:
    """Who a new case names: its reporter (name, phone, address, anonymous) and parties."""

    reporter: dict[str, Any] | None = None
    parties: list[dict[str, Any]] = field(default_factory=list)


def register(
    cases: Sequence[Case],
    *,
    by: User | str | None,
    people: Sequence[People] = (),
    action: str = "create",
    data: Sequence[dict[str, Any]] = (),
    at: datetime | None = None,
) -> list[Case]:
    """Number and save new cases with their people, and write each one's `action` event (create or
    import) carrying its `data`, dated `at` (default: when the case was reported). Call inside the
    caller's transaction: numbering takes a row lock held until commit."""
    cases = list(cases)
    _number(cases)
    if len(cases) == 1:
        cases[0].save()
    else:
        Case.objects.bulk_create(cases, batch_size=BULK_SIZE)
    reporters, parties = [], []
    for case, who in zip(cases, people, strict=False):
        if who.reporter is not None:
            reporters.append(Reporter(case=case, **who.reporter))
        parties += [Party(case=case, **p) for p in who.parties]
    Reporter.objects.bulk_create(reporters, batch_size=BULK_SIZE)
    Party.objects.bulk_create(parties, batch_size=BULK_SIZE)
    events.write_many(
        [
            events.new_event(case, action, by=by, at=at or case.reported_at, before=events.Before(""), data=d)
            for case, d in zip(cases, data or [{}] * len(cases), strict=True)
        ]
    )
    return cases
