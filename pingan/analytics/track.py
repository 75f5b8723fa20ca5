"""What one event does to the rollups: a pure replay of a case's events, one at a time.

A case's `Facts` are what its events have told so far: where it lies, which unit leads it, its state,
its clocks' due times (from the event data: accept → resolve_due, dispatch → sign_due and a 交办时限,
decide_extension → new_due, resume and reopen → resolve_due, resolve → check_due). `replay` applies one
event and answers the counters it moves:

- **flows** — one count on the event's local day (`reported`, `accepted`, `closed`, …), under the case's
  dimensions after the event (a return under the unit that returned it);
- **stock changes** — for the standing figures, which need no event to change (a case becomes overdue
  when time passes), the case contributes +1 under a `due_day` while it counts and −1 when it stops or
  moves (closed, extended, dispatched to another unit, placed under 督办), dated the day of the change:
  - `overdue`: an open case with a running clock, under the day its earliest running due falls; it is
    past due at the end of day L when due_day ≤ L;
  - `due`: an open case with a running or finished resolve clock (not suspended: 挂起 stops the clock),
    under the day its resolve due falls — the open part of 应办结数;
  - `backlog`: an open 积案 (under NO_DUE).
  The figure as of the end of day L sums the changes dated up to L: an event dated after L changes
  nothing before it. (It is read as the net of all changes, `StockNet`, less those dated after L.)

`replay` depends only on the facts and the event, never on the case row as it is now, so replaying all
events (`pingan rollups rebuild`) gives what the writer's receiver kept, event by event.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from pingan.cases.clocks import LOCAL
from pingan.cases.models.case import CLOCKS, OPEN_STATUSES, Status

NO_DUE = date(1970, 1, 1)  # the due_day of a stock that has none (open 积案)
DUE_KEYS = ("accept_due", "sign_due", "resolve_due", "check_due")
CLOSING = ("check_pass", "answer")
RATED = {"satisfied": True, "basically": True, "dissatisfied": False}

Dims = tuple[str, int, str, int, bool]  # region, unit, stream, category, supervised


def local_day(t: datetime) -> date:
    return t.astimezone(LOCAL).date()


def moment(value: Any) -> datetime | None:
    """A due time from event data: a datetime as written, an ISO string as stored."""
    if value is None or value == "":
        return None
    t = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)  # as stored (DjangoJSONEncoder: ms)


def _utc(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


@dataclass
class Facts:
    region: str
    stream: str
    category: int = 0
    unit: int = 0
    supervised: bool = False
    backlog: bool = False
    status: str = ""
    dues: dict[str, datetime | None] = field(default_factory=dict)
    limit_due: datetime | None = None  # the resolve due a 交办时限 replaced (restored on return)
    resolve_late: bool = False  # the last resolve (or answer) came after its due
    outcome: str = ""

    def dims(self) -> Dims:
        return (self.region, self.unit, self.stream, self.category, self.supervised)

    def stocks(self) -> dict[str, date | None]:
        open_ = self.status in OPEN_STATUSES
        running = [self.dues.get(f) for f, states in CLOCKS.values() if self.status in states]
        dues = [d for d in running if d is not None]
        resolve = self.dues.get("resolve_due")
        counts_due = open_ and self.status != Status.SUSPENDED and resolve is not None
        return {
            "overdue": local_day(min(dues)) if dues else None,
            "due": local_day(resolve) if counts_due and resolve else None,
            "backlog": NO_DUE if open_ and self.backlog else None,
        }

    def to_json(self) -> dict:
        d = asdict(self)
        d["dues"] = {k: _utc(v) for k, v in self.dues.items() if v is not None}
        d["limit_due"] = _utc(self.limit_due) if self.limit_due else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Facts":
        d = dict(d)
        d["dues"] = {k: moment(v) for k, v in d.get("dues", {}).items()}
        d["limit_due"] = moment(d.get("limit_due"))
        return cls(**d)


@dataclass
class Moves:
    """The counters one event moves: (measure, day, dims) for flows, (measure, day, due_day, dims) for
    stock changes, each with its amount."""

    flows: list[tuple[str, date, Dims]] = field(default_factory=list)
    stocks: list[tuple[str, date, date, Dims, int]] = field(default_factory=list)


def start(region: str, stream: str, category: int, accept_due: datetime | None) -> Facts:
    """A case as its first event (create, import) finds it."""
    return Facts(region=region[:12], stream=stream, category=category, dues={"accept_due": accept_due})


def replay(before: Facts, e, units: dict[str, int], categories: dict[str, int]) -> tuple[Facts, Moves]:
    """Apply event `e` (action, at, from_status, to_status, data, due) to the facts. `units` and
    `categories` map the codes that event data name to ids."""
    after = replace(before, dues=dict(before.dues))
    _change(after, e, units, categories)
    day = local_day(e.at)
    moves = Moves()
    for measure in _flows(before, after, e):
        dims = before.dims() if measure == "returned" else after.dims()
        moves.flows.append((measure, day, dims))
    old, new = before.stocks(), after.stocks()
    for measure in new:
        if (before.dims(), old[measure]) == (after.dims(), new[measure]):
            continue
        if old[measure] is not None:
            moves.stocks.append((measure, day, old[measure], before.dims(), -1))  # type: ignore[arg-type]
        if new[measure] is not None:
            moves.stocks.append((measure, day, new[measure], after.dims(), 1))  # type: ignore[arg-type]
    if new["backlog"] and not old["backlog"]:
        moves.flows.append(("backlog_entered", day, after.dims()))
    if old["backlog"] and not new["backlog"] and e.action in CLOSING:
        moves.flows.append(("backlog_closed", day, before.dims()))
    return after, moves


def _change(f: Facts, e, units: dict[str, int], categories: dict[str, int]) -> None:
    data, action = e.data or {}, e.action
    if e.to_status != e.from_status:
        # Only a change of state moves the status: an event that leaves the state as it is may be
        # written late and name the state of its day (the demo's 并入 on a master case closed since).
        f.status = e.to_status
    if action == "update":
        changed = data.get("changed", {})
        if changed.get("region"):
            f.region = changed["region"][:12]
        if "category" in changed:
            f.category = categories.get(changed["category"] or "", 0)
    elif action == "accept":
        f.dues["resolve_due"] = moment(data.get("resolve_due"))
        if data.get("supervision"):
            f.supervised = True
    elif action == "dispatch":
        f.unit = units.get(data.get("lead_unit") or "", 0)
        f.dues["sign_due"] = moment(data.get("sign_due"))
        f.limit_due = moment(data.get("limit_due")) if data.get("due") else None
        if data.get("due"):
            f.dues["resolve_due"] = moment(data["due"])
    elif action == "decide_return" and e.to_status == Status.ACCEPTED:
        f.unit = 0
        f.dues["sign_due"] = None
        if f.limit_due is not None:  # as cases.actions.dispatch.restore_resolve_due
            f.dues["resolve_due"] = max(f.limit_due, f.dues.get("resolve_due") or f.limit_due)
        f.limit_due = None
    elif action == "decide_extension" and data.get("decision") == "approve":
        f.dues["resolve_due"] = moment(data.get("new_due"))
    elif action in ("resume", "reopen") and data.get("resolve_due"):
        f.dues["resolve_due"] = moment(data["resolve_due"])
    elif action == "resolve":
        f.dues["check_due"] = moment(data.get("check_due"))
    elif action == "supervise":
        f.supervised = bool(data.get("level"))
    elif action == "lift_supervision":
        f.supervised = False
    elif action == "mark_backlog":
        f.backlog = True
    if action in ("resolve", "answer"):
        f.resolve_late = e.due is not None and e.at > e.due
        f.outcome = data.get("outcome") or ""
    if action == "sign":
        f.dues["sign_due"] = None
    if action in ("check_pass", "check_fail"):
        f.dues["check_due"] = None


def _flows(before: Facts, after: Facts, e) -> list[str]:
    data, action = e.data or {}, e.action
    flows: list[str] = []
    if action in ("create", "import"):
        flows.append("reported")
    elif action == "accept":
        flows += ["accepted"] if e.due is not None and e.at > e.due else ["accepted", "accepted_on_time"]
    elif action == "dispatch":
        flows.append("dispatched")
    elif action == "decide_return" and e.to_status == Status.ACCEPTED:
        flows.append("returned")
    elif action == "decide_extension" and data.get("decision") == "approve":
        flows.append("extended")
    elif action == "resolve":
        flows.append("resolved")
    elif action == "check_fail":
        flows.append("reworked")
    elif action in CLOSING:
        flows.append("closed")
        if not after.resolve_late:
            flows.append("closed_on_time")
        if after.outcome == "resolved":
            flows.append("closed_resolved")
    elif action == "follow_up" and data.get("satisfaction") in RATED:
        flows += ["rated", "satisfied"] if RATED[data["satisfaction"]] else ["rated"]
    elif action == "merge":
        flows.append("merged")
    elif action == "report_progress":
        # A late report's cycle is owed through its `progress_late` mark; counted here too, it would
        # count twice.
        flows += ["progress_owed", "progress_on_time"] if data.get("on_time") else []
    elif action == "progress_late":
        flows.append("progress_owed")
    return flows
