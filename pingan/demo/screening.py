"""排查月报 for the demo county (GOVERNANCE §9): the last three months' returns of every town and
village, most on time, a few late and a few missing, each counting the month's `inspection` cases."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from pingan.audit.changes import actor_name
from pingan.audit.log import record_many
from pingan.audit.models import AuditEntry
from pingan.cases.models import Case, Stream
from pingan.core.periods import period_of
from pingan.regions.models import Region
from pingan.screening.models import Return
from pingan.screening.selectors import LEVELS, due_on

from .county import County

MONTHS = 3
LATE, MISSING = 0.08, 0.06


@transaction.atomic
def seed_screening(county: County, *, today: date | None = None, seed: int = 0) -> int:
    """Returns for the last three months; nothing when returns exist. Returns how many."""
    if Return.objects.exists():
        return 0
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    rng = random.Random(seed)
    by = county.users["dispatcher"]
    subjects = list(Region.objects.filter(code__startswith=county.code, level__in=LEVELS).order_by("code"))
    month = period_of("month", today.replace(day=1)).previous()
    saved: list[Return] = []
    links: list[tuple[Return, list[int]]] = []
    entries: list[AuditEntry] = []
    for _ in range(MONTHS):
        due = due_on(month)
        found: dict[str, list[tuple[int, str]]] = {}
        for pk, number, where in (
            Case.objects.filter(
                region__code__startswith=county.code,
                channel=Case.Channel.INSPECTION,
                reported_at__gte=datetime.combine(month.start, time.min, tzinfo=zone),
                reported_at__lt=datetime.combine(month.end, time.min, tzinfo=zone),
            )
            .exclude(stream=Stream.TIP)
            .values_list("pk", "number", "region_id")
        ):
            for level_code in {where[:9], where[:12]}:
                found.setdefault(level_code, []).append((pk, number))
        for region in subjects:
            roll = rng.random()
            if roll < MISSING:
                continue
            day = (
                due + timedelta(days=rng.randint(1, 10))
                if roll < MISSING + LATE
                else due - timedelta(days=rng.randint(0, due.day - 1))
            )
            if day > today:
                continue  # not filed yet (still due, or late and still missing)
            at = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=zone)
            cases = found.get(region.code, [])
            ret = Return(
                region=region, period=month.key, month=month.start, zero_report=not cases,
                disputes=len(cases), filed_by=by, filed_at=at, on_time=day <= due,
            )  # fmt: skip
            saved.append(ret)
            links.append((ret, [pk for pk, _ in cases]))
            entries.append(
                AuditEntry(
                    at=timezone.now(), actor=actor_name(by), action="screening.file",
                    object_type="screening.return",
                    data={"region": region.code, "period": month.key, "zero_report": not cases,
                          "disputes": [n for _, n in cases], "on_time": day <= due},
                )
            )  # fmt: skip
        month = month.previous()
    Return.objects.bulk_create(saved)
    Through = Return.cases.through
    Through.objects.bulk_create(
        [Through(return_id=ret.pk, case_id=pk) for ret, pks in links for pk in pks], batch_size=2000
    )
    for ret, entry in zip(saved, entries, strict=True):
        entry.object_id = str(ret.pk)
    record_many(entries)
    return len(saved)
