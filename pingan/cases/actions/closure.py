"""核查、回访、重办、归档: verifying the result, hearing the reporter, reopening and archiving."""

from datetime import datetime

from pingan.accounts.models import User

from ..models import Case, FollowUp, LeaderAssignment, Status
from ..rules import due_from
from .base import transition


def check_pass(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """核查通过: the case is closed (销号)."""
    with transition(case, "check_pass", by=by, now=now) as c:
        c.case.status = Status.CLOSED
        c.case.closed_at = c.now
        c.case.check_due = None
        c.data = {"note": note}
    return c.case


def check_fail(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """核查不通过: back to the unit for rework (返工), which is counted."""
    with transition(case, "check_fail", by=by, now=now) as c:
        c.case.status = Status.IN_PROGRESS
        c.case.check_fail_count += 1
        c.case.check_due = None
        c.case.resolved_at = None
        c.data = {"reason": reason}
    return c.case


def follow_up(
    case: Case,
    *,
    by: User,
    satisfaction: str,
    resolved: bool,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """回访: what the reporter says of the outcome."""
    with transition(case, "follow_up", by=by, now=now) as c:
        fu = FollowUp.objects.create(
            case=c.case, satisfaction=satisfaction, resolved=resolved, note=note, by=by, at=c.now
        )
        c.data = {"follow_up": fu.pk, "satisfaction": satisfaction, "resolved": resolved}
    return c.case


def reopen_case(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """重新办理 after 回头看 or dissatisfaction: a fresh resolve period under the case's snapshot rule."""
    with transition(case, "reopen", by=by, now=now) as c:
        c.case.status = Status.IN_PROGRESS
        c.case.reopen_count += 1
        c.case.closed_at = c.case.resolved_at = None
        c.case.resolve_due = due_from(c.now, c.case.resolve_limit)
        if c.case.leader_signed_off_at is not None:  # worked again: the 包案 leader signs off again
            c.case.leader_signed_off_at = None
            LeaderAssignment.objects.filter(case=c.case, ended_at__isnull=True).update(signed_off_at=None)
        c.data = {"reason": reason, "resolve_due": c.case.resolve_due}
    return c.case


def archive_case(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """归档."""
    with transition(case, "archive", by=by, now=now) as c:
        c.case.status = Status.ARCHIVED
        c.data = {"note": note}
    return c.case
