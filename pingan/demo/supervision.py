"""督办 on the demo's open cases, through the real actions with the clock moved (DESIGN §10).

Some open cases in handling are supervised in the last few weeks — more of those past their period,
挂牌 for some — and the major hazards the history listed on acceptance keep theirs. Then every report
cycle up to now is played: where the lead unit has a demo handler he mostly reports a day or two before
the due (`report_progress`), otherwise the cycle is missed and the sweep's check marks it
(`progress_late`). So no listed case sits for months without a report or a mark, and the figures of
`progress_report_rate` come from the same events the live system writes.
"""

import random
from datetime import datetime, timedelta

from django.db.models import Max

from pingan.accounts import policy
from pingan.accounts.models import RoleGrant, User
from pingan.cases.models import Case, CaseEvent, Status
from pingan.supervision.actions import report_progress, supervise
from pingan.supervision.models import Supervision
from pingan.supervision.sweep import mark_missed_reports

from . import texts

# Open cases newly supervised, at most; and how far back the first of them was issued.
NEW_AT_MOST = 40
WINDOW = timedelta(days=56)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def seed_supervision(users: dict[str, User], now: datetime, rng: random.Random) -> int:
    """Supervise open cases and play their report cycles up to `now`; returns the records played."""
    leader, supervisor = users.get("leader"), users.get("supervisor")
    if leader is None or supervisor is None:
        return 0
    in_handling = Case.objects.visible_to(leader).filter(  # leaders do not see tips
        status__in=(Status.DISPATCHED, Status.IN_PROGRESS), supervision_level=""
    )
    last_event = dict(
        CaseEvent.objects.filter(case__in=in_handling).values_list("case_id").annotate(at=Max("at"))
    )
    # Most go to units with a demo handler, who then reports; the others' missed cycles are marked.
    staffed = set(RoleGrant.objects.filter(role="handler").values_list("unit_id", flat=True))
    candidates = list(in_handling.order_by("id"))
    with_handler = [c for c in candidates if c.lead_unit_id in staffed]
    chosen = _sample(rng, with_handler, NEW_AT_MOST * 4 // 5, now)
    others = [c for c in candidates if c.lead_unit_id not in staffed]
    chosen += _sample(rng, others, NEW_AT_MOST - len(chosen), now)
    none_listed = True
    for case in chosen:
        after = max(last_event.get(case.pk, case.reported_at), now - WINDOW)
        at = after + (now - after) * rng.uniform(0.1, 0.6)
        # 挂牌 for an overdue case where a handler will report on it (the first such always); 日常督办
        # otherwise.
        late = case.resolve_due is not None and case.resolve_due < at
        listed = late and case.lead_unit_id in staffed and (none_listed or rng.random() < 0.7)
        none_listed = none_listed and not listed
        level = "listed" if listed else "routine"
        supervise(
            case,
            by=leader if listed else supervisor,
            level=level,
            requirement=rng.choice(texts.SUPERVISE_REQUIREMENTS[level]),
            report_every_days=7 if listed else 14,
            now=at,
        )
    played = Supervision.objects.filter(
        lifted_at__isnull=True, case__status__in=(Status.DISPATCHED, Status.IN_PROGRESS)
    )
    behind = None  # one 挂牌 case whose handler missed the report due last: every county has one
    for s in played.select_related("case").order_by("id"):
        if behind is None and s.level == Supervision.Level.LISTED and s.next_report_due < now:
            behind = s
        _play_reports(s, now, rng, miss_last=s is behind)
    return len(played)


def _sample(rng: random.Random, cases: list[Case], k: int, now: datetime) -> list[Case]:
    """k cases, those past their period first (督办 follows delay)."""
    overdue = [c for c in cases if c.resolve_due and c.resolve_due < now]
    chosen = rng.sample(overdue, min(len(overdue), k))
    rest = [c for c in cases if c not in chosen]
    return chosen + rng.sample(rest, min(len(rest), k - len(chosen)))


def _play_reports(s: Supervision, now: datetime, rng: random.Random, miss_last: bool = False) -> None:
    """Each cycle up to `now`: the handler's report a little before the due, or a missed cycle marked
    (always the last one with `miss_last`)."""
    case = s.case
    handler = next(iter(policy.holders("handler", case.subject())), None)
    last = s.issued_at
    while s.next_report_due < now:
        due = s.next_report_due
        final = due + DAY * s.report_every_days >= now
        if handler is not None and not (miss_last and final) and rng.random() < 0.85:
            at = max(last + HOUR, due - DAY * rng.uniform(0.2, 2.5))
            if at >= now:
                return
            case = report_progress(case, by=handler, text=rng.choice(texts.PROGRESS_REPORTS), now=at)
            last = at
        else:
            last = min(due + 2 * HOUR, now)
            mark_missed_reports(now=last, records=Supervision.objects.filter(pk=s.pk))
        s.refresh_from_db()
