"""One synthetic case's life, replayed forward through the workflow (DESIGN §4).

The generator decides where a case should end up (old cases mostly closed, some stuck open), plans
the actions that lead there, and takes them one by one. Each action moves the clock by a delay drawn
against the step's real time limit (now and then a late one), then sets the fields and makes the event
that the same action in pingan.cases.actions would have written. An action that would fall after `now`
has not happened yet: the case stays where it is, which is how recent cases end up open.

Running 20,000 lives through the real actions would take most of an hour, so the events go to the event
writer's bulk form (generator.py), which checks each against the transition table and writes its audit
entry, as it does for the actions.
"""

import bisect
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pingan.cases.events import NewEvent
from pingan.cases.models import Case, CaseRequest, FollowUp, Party, Reporter, Status, TimeUnit
from pingan.cases.models.case import CLOCKS, DUE_FIELDS, OPEN_STATUSES, ended_step
from pingan.supervision.models import Supervision

from . import texts

if TYPE_CHECKING:
    from .generator import Context

S = Status
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# Cases that end early, as a share of each stream ("" = any other stream).
REJECT = {"petition": 0.08, "tip": 0.06, "dispute": 0.03, "request": 0.03, "": 0.01}
MERGE = {"request": 0.03, "hazard": 0.03, "grid_event": 0.03, "": 0.01}
WITHDRAW = {"dispute": 0.04, "petition": 0.03, "request": 0.02, "": 0.01}
# Closed by an answer on the spot (咨询, 就地化解) instead of being dispatched.
ANSWER = {"R01": 0.6, "request": 0.12, "grid_event": 0.06, "dispute": 0.04}
OUTCOMES = {
    "dispute": {"resolved": 70, "partly": 10, "unresolved_referred": 15, "explained": 5},
    "petition": {"resolved": 45, "explained": 30, "not_supported": 20, "partly": 5},
    "request": {"resolved": 65, "explained": 30, "partly": 5},
    "tip": {"resolved": 45, "explained": 55},
    "": {"resolved": 92, "partly": 8},
}
SATISFACTION = {"satisfied": 78, "basically": 16, "dissatisfied": 6}
# Where open cases stand, by age measured in resolve periods: young ones are still being taken in,
# older ones sit in handling, some of them suspended.
_OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.SUSPENDED)
OPEN_MIX = [
    (0.1, dict(zip(_OPEN, (30, 15, 25, 25, 4, 1), strict=True))),
    (1.0, dict(zip(_OPEN, (3, 4, 8, 60, 18, 7), strict=True))),
    (float("inf"), dict(zip(_OPEN, (1, 2, 4, 70, 10, 13), strict=True))),
]
# Share still open by the same age; the last figure is the few cases that got stuck for good.
OPEN_SHARE = [(0.1, 0.6), (0.5, 0.4), (1.0, 0.25), (2.0, 0.1), (6.0, 0.03), (float("inf"), 0.008)]


class _NotYet(Exception):
    """The next action would happen after now."""


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def choose_end(rng: random.Random, stream: str, category_code: str, age: float) -> str:
    """Where a case of this stream ends up, `age` being its age in resolve periods."""
    x = rng.random()
    for end, table in (("rejected", REJECT), ("merged", MERGE), ("withdrawn", WITHDRAW)):
        share = table.get(stream, table[""])
        if x < share:
            return end
        x -= share
    if rng.random() < next(share for limit, share in OPEN_SHARE if age < limit):
        return pick(rng, next(mix for limit, mix in OPEN_MIX if age < limit))
    if rng.random() < ANSWER.get(category_code, ANSWER.get(stream, 0)):
        return "answered"
    return "closed"


class History:
    def __init__(self, ctx: "Context", case: Case, rng: random.Random, forced: str | None = None):
        self.ctx, self.case, self.rng, self.forced = ctx, case, rng, forced
        self.t: datetime = case.reported_at
        self.status = ""
        self.left = 0  # planned actions still to come (to squeeze a forced plan in before now)
        self.events: list[NewEvent] = []
        self.foreign_events: list[NewEvent] = []  # merged_in, written on the master case
        self.dues: dict[str, datetime | None] = {}  # the clocks as the last event left them
        self.requests: list[CaseRequest] = []
        self.follow_ups: list[FollowUp] = []
        self.co_units: list[int] = []
        self.reporter: Reporter | None = None
        self.parties: list[Party] = []
        self.supervision: Supervision | None = None
        self.merge_target: History | None = None
        self.previous_lead: int | None = None
        self.dispatcher = ctx.actor("dispatcher")
        self.event(
            "create",
            case.reported_by.username if case.reported_by else "system",
            {"channel": case.channel, "stream": case.stream},
            to=S.REPORTED,
        )

    # ------------------------------------------------------------ plumbing

    def event(self, action: str, actor: str, data: dict | None = None, to: str | None = None) -> None:
        """The event of the action just taken; the step it ends records the due time it found."""
        before = self.status
        if to:
            self.status = self.case.status = to
        step = ended_step(before, self.status)
        self.events.append(
            NewEvent(
                case=self.case,
                action=action,
                actor=actor,
                at=self.t,
                from_status=before,
                to_status=self.status,
                data=data or {},
                due=self.dues.get(CLOCKS[step][0]) if step else None,
            )
        )
        self.dues = {name: getattr(self.case, name) for name in DUE_FIELDS}

    def _at(self, delay: timedelta, office: bool = True) -> None:
        """Move the clock to the next action; staff act in office hours."""
        t = self.t + max(delay, MINUTE)
        if office:
            t = self.ctx.cal.add_work_seconds(t, self.rng.uniform(0, 1800))
        if t >= self.ctx.now:
            if not self.forced:
                raise _NotYet
            # A case placed in a given state must get there: squeeze the rest of its plan in before now.
            t = self.t + (self.ctx.now - self.t) / (self.left + 2)
        self.t = t

    def _fits(self, delay: timedelta) -> bool:
        """For optional steps (follow-up, archive): take them only if they would have happened by now."""
        t = self.ctx.cal.add_work_seconds(self.t + delay, self.rng.uniform(0, 1800))
        if t >= self.ctx.now:
            return False
        self.t = t
        return True

    def _span(self, due: datetime | None) -> timedelta:
        return max(due - self.t, HOUR) if due else DAY

    def _share(self, span: timedelta, late: float = 0.1) -> timedelta:
        """Most steps take part of their time limit; a few run over it."""
        factor = self.rng.uniform(1.05, 2.5) if self.rng.random() < late else self.rng.uniform(0.05, 0.9)
        return span * factor

    def _due(self, step: str, start: datetime | None = None) -> datetime | None:
        c = self.case
        return self.ctx.due(start or self.t, self.ctx.limit(c, step))

    def status_at(self, t: datetime) -> str:
        status = ""
        for e in self.events:
            if e.at > t:
                break
            status = e.to_status
        return status

    def _request(self, kind: str, by, reason: str, new_due: datetime | None = None) -> CaseRequest | None:
        if by is None:  # a request needs a requester; units without a demo user keep the events only
            return None
        req = CaseRequest(
            case=self.case, kind=kind, reason=reason, new_due=new_due, requested_by=by, requested_at=self.t
        )
        self.requests.append(req)
        return req

    def _decide(self, req: CaseRequest | None, approve: bool, by, note: str) -> None:
        if req is not None:
            req.decision = CaseRequest.Decision.APPROVED if approve else CaseRequest.Decision.DENIED
            req.decided_by, req.decided_at, req.note = by, self.t, note

    def _name(self, user) -> str:
        return user.username if user else "system"

    # ------------------------------------------------------------ the plan

    def run(self, end: str) -> None:
        plan = self.plan(end)
        try:
            for i, step in enumerate(plan):
                self.left = len(plan) - i - 1
                getattr(self, "_" + step)()
        except _NotYet:
            pass  # a request already made stays pending, as it would be today
        else:
            self._tail(end)
        self._supervision()
        self._finish()

    def plan(self, end: str) -> list[str]:
        rng = self.rng
        if end == S.REPORTED:
            return []
        if end == S.REJECTED:
            return ["reject"]
        if end == S.MERGED:
            return ["merge"] if self.forced or rng.random() < 0.7 else ["accept", "merge"]
        if end == S.WITHDRAWN:
            return [*self.plan(rng.choice([S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS])), "withdraw"]
        if end == "answered":
            return ["accept", "answer"]
        steps = ["accept"]
        if end == S.ACCEPTED:  # waiting for dispatch, sometimes after a unit returned it
            return steps + (["dispatch", "return_approved"] if rng.random() < 0.3 else [])
        steps.append("dispatch")
        if rng.random() < 0.04:
            steps += ["return_approved", "dispatch"] if rng.random() < 0.7 else ["return_denied"]
        if end == S.DISPATCHED:
            return steps
        steps.append("sign")
        if rng.random() < 0.06:
            steps.append("extension")
        if end == S.SUSPENDED:
            return [*steps, "suspension"]
        if rng.random() < 0.025:
            steps += ["suspension", "resume"]
        if end == S.IN_PROGRESS:
            return steps
        steps.append("resolve")
        if rng.random() < 0.07:
            steps += ["check_fail", "resolve"] * (2 if rng.random() < 0.15 else 1)
        if end == S.RESOLVED:
            return steps
        steps.append("check_pass")
        if rng.random() < 0.015:
            steps += ["dissatisfied", "reopen", "resolve", "check_pass"]
        return steps

    # ------------------------------------------------------------ the actions

    def _accept(self) -> None:
        c = self.case
        self._at(self._share(self._span(c.accept_due)))
        c.accepted_at = self.t
        c.resolve_limit = self.ctx.limit(c, "resolve")
        c.resolve_due = self.ctx.due(self.t, c.resolve_limit)
        data = {"note": "", "resolve_due": c.resolve_due}
        if c.stream == "hazard" and c.severity == Case.Severity.MAJOR:
            c.supervision_level = data["supervision"] = Case.Supervision.LISTED
        self.event("accept", self.dispatcher, data, to=S.ACCEPTED)

    def _reject(self) -> None:
        self._at(self._share(self._span(self.case.accept_due)))
        reason, advice = self.rng.choice(texts.REJECT_REASONS)
        self.case.closed_at = self.t
        self.event("reject", self.dispatcher, {"reason": reason, "channel_advice": advice}, to=S.REJECTED)

    def _merge(self) -> None:
        c = self.case
        self._at(self._share(self._span(c.accept_due)))
        target = self.ctx.merge_target(self)
        if target is None:  # nothing open to merge into: a duplicate of a finished case is declined
            self._decline()
            return
        self.merge_target = target
        c.closed_at = self.t
        data = {"into": target.case.number, "reason": "重复反映同一事项"}
        self.event("merge", self.dispatcher, data, to=S.MERGED)
        status = target.status_at(self.t)
        self.foreign_events.append(
            NewEvent(target.case, "merged_in", self.dispatcher, self.t, status, status, {"case": c.number})
        )

    def _decline(self) -> None:
        """A duplicate of a finished case: rejected before acceptance, answered after it."""
        if self.status == S.REPORTED:
            self._reject()
            return
        c = self.case
        c.outcome, c.outcome_summary = "explained", "该事项此前已办结，已向反映人说明办理结果"
        c.closed_at = c.resolved_at = self.t
        self.event(
            "answer", self.dispatcher, {"summary": c.outcome_summary, "outcome": c.outcome}, to=S.CLOSED
        )

    def _withdraw(self) -> None:
        self._at(self.rng.uniform(0.5, 10) * DAY)
        self.case.closed_at = self.t
        data = {"reason": self.rng.choice(texts.WITHDRAW_REASONS)}
        self.event("withdraw", self.dispatcher, data, to=S.WITHDRAWN)

    def _answer(self) -> None:
        c = self.case
        self._at(self.rng.uniform(0.1, 3) * HOUR)
        c.outcome = "explained" if c.stream == "request" and self.rng.random() < 0.6 else "resolved"
        c.outcome_summary = self.rng.choice(texts.SUMMARIES[c.outcome])
        c.closed_at = c.resolved_at = self.t
        data = {"summary": c.outcome_summary, "outcome": c.outcome}
        self.event("answer", self.dispatcher, data, to=S.CLOSED)

    def _dispatch(self) -> None:
        c, ctx = self.case, self.ctx
        self._at(self.rng.uniform(0.2, 8) * HOUR)
        returned = self.previous_lead is not None
        # After an approved return the centre picks another unit and designates it (it may not return again).
        lead = ctx.alternative_unit(c, self.previous_lead) if returned else ctx.route(c)
        c.lead_unit_id, c.handler, c.designated = lead, None, returned
        c.dispatched_at = self.t
        c.sign_due = self._due("sign")
        self.co_units = [u for u in [ctx.co_unit(c, lead, self.rng)] if u] if self.rng.random() < 0.06 else []
        self.event(
            "dispatch",
            self.dispatcher,
            {
                "lead_unit": ctx.unit_code.get(lead or 0),
                "co_units": [ctx.unit_code[u] for u in self.co_units],
                "handler": None,
                "designated": returned,
                "sign_due": c.sign_due,
                "note": "",
            },
            to=S.DISPATCHED,
        )

    def _sign(self) -> None:
        c = self.case
        self._at(self._share(self._span(c.sign_due)))
        c.signed_at, c.sign_due = self.t, None
        c.handler = self.ctx.handler_of(c.lead_unit_id)
        self.event("sign", self._name(c.handler), {"note": ""}, to=S.IN_PROGRESS)

    def _return(self, approve: bool) -> None:
        c, rng = self.case, self.rng
        head = self.ctx.head_of(c.lead_unit_id)
        self._at(rng.uniform(1, 24) * HOUR)
        reason = rng.choice(texts.RETURN_REASONS)
        req = self._request(CaseRequest.Kind.RETURN, head, reason)
        self.event("request_return", self._name(head), {"request": req, "reason": reason})
        self._at(rng.uniform(2, 48) * HOUR)
        note = "同意退回，另行分派" if approve else "该事项属于本单位职责，请继续办理"
        self._decide(req, approve, self.ctx.user("dispatcher"), note)
        data = {
            "request": req,
            "decision": "approve" if approve else "deny",
            "note": note,
            "unit": self.ctx.unit_code.get(c.lead_unit_id or 0),
        }
        if approve:
            self.previous_lead = c.lead_unit_id
            c.return_count += 1
            c.lead_unit_id = c.handler = c.dispatched_at = c.signed_at = c.sign_due = None
            self.co_units = []
        else:
            c.designated = True
        self.event("decide_return", self.dispatcher, data, to=S.ACCEPTED if approve else None)

    def _return_approved(self) -> None:
        self._return(True)

    def _return_denied(self) -> None:
        self._return(False)

    def _extension(self) -> None:
        c, rng = self.case, self.rng
        if c.resolve_due is None:
            return
        handler, head = self.ctx.handler_of(c.lead_unit_id), self.ctx.head_of(c.lead_unit_id)
        self._at(self._share(self._span(c.resolve_due) / 2, late=0))
        max_days = c.resolve_limit.get("max_extension_days") or 30
        new_due = c.resolve_due + rng.randint(5, max_days) * DAY
        reason = rng.choice(texts.EXTENSION_REASONS)
        req = self._request(CaseRequest.Kind.EXTENSION, handler, reason, new_due)
        data = {"request": req, "reason": reason, "new_due": new_due}
        self.event("request_extension", self._name(handler), data)
        self._at(rng.uniform(2, 48) * HOUR)
        approve = rng.random() < 0.85
        decider = head or self.ctx.user("dispatcher")
        note = "同意延期" if approve else "不符合延期条件，请按期办结"
        self._decide(req, approve, decider, note)
        data = {"request": req, "decision": "approve" if approve else "deny", "note": note}
        if approve:
            data.update(old_due=c.resolve_due, new_due=new_due)
            c.resolve_due = new_due
            c.extension_count += 1
        self.event("decide_extension", self._name(decider), data)

    def _suspension(self) -> None:
        c, rng = self.case, self.rng
        by = self.ctx.handler_of(c.lead_unit_id) or self.ctx.user("dispatcher")
        leader = self.ctx.user("leader")
        self._at(rng.uniform(1, 10) * DAY)
        reason = rng.choice(texts.SUSPENSION_REASONS)
        req = self._request(CaseRequest.Kind.SUSPENSION, by, reason)
        self.event("request_suspension", self._name(by), {"request": req, "reason": reason})
        self._at(rng.uniform(2, 48) * HOUR)
        self._decide(req, True, leader, "同意挂起")
        c.suspended_at = self.t
        self.event(
            "decide_suspension",
            self._name(leader),
            {"request": req, "decision": "approve", "note": "同意挂起"},
            to=S.SUSPENDED,
        )

    def _resume(self) -> None:
        c = self.case
        self._at(self.rng.uniform(5, 40) * DAY)
        data = {"note": "", "suspended_at": c.suspended_at}
        if c.resolve_due and c.suspended_at:
            unit = c.resolve_limit.get("unit", "natural_days")
            c.resolve_due = data["resolve_due"] = self.ctx.cal.shift_for_pause(
                c.resolve_due, c.suspended_at, self.t, unit
            )
        c.suspended_at = None
        self.event("resume", self.dispatcher, data, to=S.IN_PROGRESS)

    def _resolve(self) -> None:
        c, rng = self.case, self.rng
        self._at(self._share(self._span(c.resolve_due), late=0.12))
        c.outcome = pick(rng, OUTCOMES.get(c.stream, OUTCOMES[""]))
        c.outcome_summary = rng.choice(texts.SUMMARIES[c.outcome])
        c.resolved_at = self.t
        c.check_due = self._due("check")
        self.event(
            "resolve",
            self._name(c.handler),
            {
                "outcome": c.outcome,
                "summary": c.outcome_summary,
                "evidence": [],
                "check_due": c.check_due,
            },
            to=S.RESOLVED,
        )

    def _checker(self) -> str:
        return self.ctx.actor("supervisor" if self.rng.random() < 0.5 else "dispatcher")

    def _check_fail(self) -> None:
        c = self.case
        self._at(self._share(self._span(c.check_due), late=0.05))
        c.check_fail_count += 1
        c.check_due = c.resolved_at = None
        self.event(
            "check_fail",
            self._checker(),
            {"reason": self.rng.choice(texts.CHECK_FAIL_REASONS)},
            to=S.IN_PROGRESS,
        )

    def _check_pass(self) -> None:
        c = self.case
        self._at(self._share(self._span(c.check_due), late=0.05))
        c.closed_at, c.check_due = self.t, None
        self.event("check_pass", self._checker(), {"note": ""}, to=S.CLOSED)

    def _follow_up(self, satisfaction: str) -> None:
        fu = FollowUp(
            case=self.case,
            satisfaction=satisfaction,
            resolved=satisfaction != "dissatisfied",
            note=self.rng.choice(texts.FOLLOW_UP_NOTES[satisfaction]),
            by=self.ctx.user("dispatcher"),
            at=self.t,
        )
        self.follow_ups.append(fu)
        self.event(
            "follow_up",
            self.dispatcher,
            {"follow_up": fu, "satisfaction": satisfaction, "resolved": fu.resolved},
        )

    def _dissatisfied(self) -> None:
        self._at(self.rng.uniform(1, 10) * DAY)
        self._follow_up("dissatisfied")

    def _reopen(self) -> None:
        c = self.case
        self._at(self.rng.uniform(1, 5) * DAY)
        c.reopen_count += 1
        c.closed_at = c.resolved_at = None
        c.resolve_due = self.ctx.due(self.t, c.resolve_limit)
        data = {"reason": self.rng.choice(texts.REOPEN_REASONS), "resolve_due": c.resolve_due}
        self.event("reopen", self.dispatcher, data, to=S.IN_PROGRESS)

    # ------------------------------------------------------------ after the plan

    def _tail(self, end: str) -> None:
        """Follow-up and archiving of a closed case, where enough time has passed for them."""
        rng = self.rng
        if self.status != S.CLOSED:
            return
        followed = self.follow_ups and self.follow_ups[-1].at > (self.case.closed_at or self.t)
        wanted = rng.random() < (0.4 if end == "answered" else 0.7)
        if not followed and wanted and self._fits(rng.uniform(1, 10) * DAY):
            self._follow_up(pick(rng, SATISFACTION))
        if self.forced == S.CLOSED or (self.forced != S.ARCHIVED and rng.random() < 0.1):
            return
        if self._fits(rng.uniform(15, 60) * DAY):
            actor = self.dispatcher if rng.random() < 0.3 else "system"
            self.event("archive", actor, {"note": ""}, to=S.ARCHIVED)

    def _supervision(self) -> None:
        """督办 of a case that is finished by now: likely on one that ran past its period, at a moment it
        was open, with its record. Open cases are supervised afterwards through the real actions, so
        that their progress reports are filed and missed ones marked (pingan.demo.supervision)."""
        c, rng = self.case, self.rng
        if c.status in OPEN_STATUSES or c.supervision_level == Case.Supervision.LISTED:
            return
        x = rng.random()
        # Ran past its period: handled after its due. (Its age says nothing here: nearly every finished
        # case is older than one period, and counting those put 40 % of the demo's cases under 督办.)
        late = c.resolve_due is not None and (c.resolved_at or c.closed_at or c.resolve_due) > c.resolve_due
        level = (
            ("listed" if x < 0.1 else "routine" if x < 0.4 else "") if late else "routine" if x < 0.03 else ""
        )
        if not level:
            return
        start = c.accepted_at or c.reported_at
        at = start + ((c.closed_at or self.ctx.now) - start) * rng.uniform(0.2, 0.9)
        status = self.status_at(at)
        if status not in OPEN_STATUSES:
            return
        c.supervision_level = level
        issuer = self.ctx.user("leader" if level == "listed" else "supervisor")
        requirement = rng.choice(texts.SUPERVISE_NOTES[level])
        days = 7 if level == "listed" else 14
        due = self.ctx.cal.add(at, days, TimeUnit.NATURAL_DAYS)
        self.supervision = Supervision(
            case=c, level=level, requirement=requirement, report_every_days=days, issued_by=issuer,
            issued_at=at, next_report_due=due,
        )  # fmt: skip
        data = {"level": level, "previous": "", "requirement": requirement, "report_every_days": days,
                "deadline": None, "next_report_due": due}  # fmt: skip
        event = NewEvent(c, "supervise", self._name(issuer), at, status, status, data)
        self.events.insert(bisect.bisect_right([e.at for e in self.events], at), event)

    def _finish(self) -> None:
        c = self.case
        c.version = len(self.events)  # create gives version 1, every later action adds one
        # As the sweep would have left it: the pending step's due time, once passed.
        dues: dict[str, datetime | None] = {
            S.REPORTED: c.accept_due,
            S.DISPATCHED: c.sign_due,
            S.ACCEPTED: c.resolve_due,
            S.IN_PROGRESS: c.resolve_due,
            S.RESOLVED: c.check_due,
        }
        pending = dues.get(c.status)
        if pending and pending < self.ctx.now:
            c.overdue_since = pending
