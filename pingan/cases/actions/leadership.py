"""包案 and 积案 (GOVERNANCE §7): assign a leader with his team and plan, record plan steps done, the
leader's sign-off, and the 积案 flag (one case, or a list of numbers from the upper level at once)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from pingan.accounts import policy
from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, invalid
from pingan.regions.models import Unit

from ..clocks import LOCAL
from ..models import Case, LeaderAssignment, PlanStep
from .base import lock_case, transition


@dataclass(frozen=True)
class Step:
    text: str
    due: date


def assign_leader(
    case: Case,
    *,
    by: User,
    leader: User,
    team_units: Sequence[Unit],
    plan: Sequence[Step],
    now: datetime | None = None,
) -> Case:
    """包案: the leader, his team and his dated plan. A new assignment replaces the one in force (kept,
    ended) and needs a new sign-off."""
    with transition(case, "assign_leader", by=by, now=now) as c:
        if not policy.holds(scope_of(leader), "leader", c.case.subject()):
            raise DomainError(
                "not_a_leader",
                f"{leader} 不是本案所在地的领导，不能包案。",
                fields={"leader": "须为对本案所在区划有“领导”授权的用户"},
            )
        today = c.now.astimezone(LOCAL).date()
        late = [i for i, s in enumerate(plan) if s.due < today]
        if late:
            raise DomainError(
                "plan_due_passed",
                "工作方案的完成期限不能早于今天。",
                fields={f"plan.{i}.due": "不能早于今天" for i in late},
            )
        previous = LeaderAssignment.objects.select_for_update().filter(case=c.case, ended_at__isnull=True)
        old = previous.first()
        previous.update(ended_at=c.now)
        a = LeaderAssignment.objects.create(case=c.case, leader=leader, assigned_by=by, assigned_at=c.now)
        units = list(dict.fromkeys(team_units))
        a.team_units.set(units)
        PlanStep.objects.bulk_create(
            [PlanStep(assignment=a, position=i, text=s.text, due=s.due) for i, s in enumerate(plan, 1)]
        )
        c.case.responsible_leader = leader
        c.case.leader_signed_off_at = None
        c.data = {
            "leader": leader.username,
            "previous": old.leader.username if old else "",
            "team_units": [u.code for u in units],
            "plan": [{"step": s.text, "due": s.due} for s in plan],
            "assignment": a.pk,
        }
    return c.case


def _in_force(case: Case) -> LeaderAssignment | None:
    return LeaderAssignment.objects.select_for_update().filter(case=case, ended_at__isnull=True).first()


def complete_plan_step(
    case: Case, *, by: User, step: int, note: str = "", now: datetime | None = None
) -> Case:
    """A plan step done, by the leader or the lead unit's handler; late when after its due day."""
    with transition(case, "complete_plan_step", by=by, now=now) as c:
        a = _in_force(c.case)
        found = a.steps.filter(position=step).first() if a else None
        if found is None:
            raise invalid({"step": f"包案工作方案中没有第 {step} 步"})
        if found.done_at is not None:
            raise DomainError("step_done", f"第 {step} 步已于此前登记完成。", status=409)
        found.done_at, found.done_by, found.note = c.now, by, note
        found.save()
        c.data = {
            "step": step,
            "text": found.text,
            "due": found.due,
            "late": c.now.astimezone(LOCAL).date() > found.due,
            "note": note,
        }
    return c.case


def leader_sign_off(case: Case, *, by: User, note: str, now: datetime | None = None) -> Case:
    """签字销号 by the 包案 leader: from now on the case may be archived."""
    with transition(case, "leader_sign_off", by=by, now=now) as c:
        a = _in_force(c.case)
        if a is not None:
            a.signed_off_at, a.sign_off_note = c.now, note
            a.save()
        c.case.leader_signed_off_at = c.now
        open_steps = (
            list(a.steps.filter(done_at__isnull=True).values_list("position", flat=True)) if a else []
        )
        c.data = {"note": note, "open_steps": open_steps}
    return c.case


def mark_backlog(case: Case, *, by: User, source: str, note: str = "", now: datetime | None = None) -> Case:
    """积案: the flag the rollups count (`mark_backlog`, pingan.analytics.track) for 积案化解率."""
    with transition(case, "mark_backlog", by=by, now=now) as c:
        c.case.backlog = True
        c.data = {"source": source, "note": note}
    return c.case


MAX_IMPORT = 500


def import_backlog(
    user: User, numbers: Sequence[str], *, source: str, note: str = "", now: datetime | None = None
) -> list[Case]:
    """A list of 积案 from the upper level: all marked, or none with the reason for each number."""
    numbers = [n.strip() for n in numbers if n.strip()]
    if not numbers:
        raise invalid({"numbers": "请至少填写一个案件编号"})
    if len(numbers) > MAX_IMPORT:
        raise invalid({"numbers": f"一次最多导入 {MAX_IMPORT} 个编号"})
    errors: dict[str, str] = {}
    marked: list[Case] = []
    with transaction.atomic():
        seen: set[str] = set()
        for number in numbers:
            if number in seen:
                errors[number] = "编号重复"
                continue
            seen.add(number)
            try:
                with transaction.atomic():
                    marked.append(
                        mark_backlog(lock_case(user, number), by=user, source=source, note=note, now=now)
                    )
            except DomainError as e:
                errors[number] = e.message
        if errors:  # raised inside the transaction: every mark of this list is undone
            raise DomainError(
                "import_failed",
                f"有 {len(errors)} 个编号不能标记为积案，本次导入未做任何更改。",
                fields={f"numbers.{n}": message for n, message in errors.items()},
            )
    return marked
