"""督办 actions (GOVERNANCE §4): `supervise`, `lift_supervision`, `report_progress`.

Each runs through the case's own door (pingan.cases.actions.base.transition: lock, scope, role, state,
then the event with its audit entry), so a 督办 is checked and recorded like any other action on a case.
`TABLE` is what the app registers into the case actions' ACTIONS table (apps.py).
"""

from datetime import date, datetime
from typing import Annotated

from django.conf import settings
from pydantic import Field, StringConstraints

from pingan.accounts.models import User
from pingan.cases import events
from pingan.cases.actions import Action
from pingan.cases.actions.base import transition
from pingan.cases.actions.handling import add_work_record
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent, WorkRecord
from pingan.cases.schemas import ActionIn, Reason
from pingan.core.errors import DomainError, invalid_transition

from .models import ProgressReport, Supervision
from .schedule import late_marks, report_due


class SuperviseIn(ActionIn):
    level: Supervision.Level
    requirement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    report_every_days: Annotated[int, Field(ge=1, le=90, description="每隔多少个自然日报告一次进展")]
    deadline: date | None = Field(None, description="督办时限（可选），如 2026-12-31")


class LiftIn(ActionIn):
    note: Reason


class ProgressIn(ActionIn):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


def _in_force(case: Case) -> Supervision | None:
    return Supervision.objects.select_for_update().filter(case=case, lifted_at__isnull=True).first()


def supervise(
    case: Case,
    *,
    by: User,
    level: str,
    requirement: str,
    report_every_days: int,
    deadline: date | None = None,
    now: datetime | None = None,
) -> Case:
    """督办 a case, or change the 督办 in force (raise 日常 to 挂牌, tighten the interval): the issuer is
    whoever set it last. A shorter interval applies at once; a longer one from the next report."""
    with transition(case, "supervise", by=by, now=now) as c:
        if deadline is not None and deadline < c.now.astimezone(LOCAL).date():
            raise DomainError(
                "deadline_passed", "督办时限已过，请重新选择。", fields={"deadline": "不能早于今天"}
            )
        s = _in_force(c.case)
        due = report_due(c.now, report_every_days)
        previous = s.level if s else ""
        if s is None:
            s = Supervision(case=c.case, next_report_due=due)
        else:
            s.next_report_due = min(s.next_report_due, due)
        s.level, s.requirement, s.report_every_days, s.deadline = (
            level,
            requirement,
            report_every_days,
            deadline,
        )
        s.issued_by, s.issued_at = by, c.now
        s.save()
        c.case.supervision_level = level
        c.data = {
            "level": level,
            "previous": previous,
            "requirement": requirement,
            "report_every_days": report_every_days,
            "deadline": deadline,
            "next_report_due": s.next_report_due,
            "supervision": s.pk,
        }
    return c.case


def lift_supervision(case: Case, *, by: User, note: str, now: datetime | None = None) -> Case:
    """解除督办: the record is kept, ended, with who lifted it and why."""
    with transition(case, "lift_supervision", by=by, now=now) as c:
        s = _in_force(c.case)
        if s is not None:
            s.lifted_at, s.lifted_by, s.lift_note = c.now, by, note
            s.save()
        c.data = {"note": note, "level": c.case.supervision_level, "supervision": s.pk if s else None}
        c.case.supervision_level = ""
    return c.case


def report_progress(case: Case, *, by: User, text: str, now: datetime | None = None) -> Case:
    """The handler's progress report: a work record, on time when filed by the due in force and no cycle
    was missed since the last report. A cycle that ended unreported and unmarked (the sweep has not run
    since) gets its `progress_late` mark here first, so every missed cycle counts once, whoever sees it."""
    with transition(case, "report_progress", by=by, now=now) as c:
        s = _in_force(c.case)
        if s is None:  # a flag set before 督办 had records (an old database): there is nothing to report to
            raise invalid_transition("该案件没有在办的督办记录，请督办人重新督办。")
        events.write_many(late_marks(s, c.case, c.now), quiet=True)  # the report itself tells everyone
        due, on_time = s.next_report_due, s.missed_since is None
        record = add_work_record(c, kind=WorkRecord.Kind.PROGRESS, content=text)
        ProgressReport.objects.create(
            supervision=s, work_record=record, filed_at=c.now, due=due, on_time=on_time
        )
        s.next_report_due = report_due(c.now, s.report_every_days)
        s.last_report_at, s.missed_since = c.now, None
        s.save()
        c.data = {
            "on_time": on_time,
            "due": due,
            "next_report_due": s.next_report_due,
            "work_record": record.pk,
        }
    return c.case


TABLE = {
    "supervise": Action(
        SuperviseIn,
        lambda c, by, p, now: supervise(
            c,
            by=by,
            level=p.level,
            requirement=p.requirement,
            report_every_days=p.report_every_days,
            deadline=p.deadline,
            now=now,
        ),
    ),
    "lift_supervision": Action(
        LiftIn, lambda c, by, p, now: lift_supervision(c, by=by, note=p.note, now=now)
    ),
    "report_progress": Action(
        ProgressIn, lambda c, by, p, now: report_progress(c, by=by, text=p.text, now=now)
    ),
}


def list_on_acceptance(sender, events: list[CaseEvent], **kwargs) -> None:
    """A major hazard is listed (挂牌督办) when it is accepted (DESIGN §4): the accept action sets the
    flag; this receiver of `events_written` gives the flag its record, issued by the system."""
    days = settings.PINGAN_LISTED_REPORT_DAYS
    for e in events:
        if e.action != "accept" or e.data.get("supervision") != Supervision.Level.LISTED:
            continue
        s = Supervision.objects.filter(case=e.case, lifted_at__isnull=True).first()
        if s is None:
            Supervision.objects.create(
                case=e.case,
                level=Supervision.Level.LISTED,
                requirement=f"重大隐患自动挂牌督办：请立即组织整改，每 {days} 日报告一次整改进展。",
                report_every_days=days,
                issued_at=e.at,
                next_report_due=report_due(e.at, days),
            )
        elif s.level != Supervision.Level.LISTED:  # a 日常督办 from before acceptance is raised
            s.level = Supervision.Level.LISTED
            s.save(update_fields=["level"])
