"""How a case's state reads on a page: which clocks run and what they say."""

from ..models import Status, Stream

CLOCK_LABELS = {"accept_due": "受理", "sign_due": "签收", "resolve_due": "办结", "check_due": "核查"}

# The clocks that run in each state (DESIGN §4); a suspended case's resolve clock is paused.
RUNNING: dict[str, tuple[str, ...]] = {
    Status.REPORTED: ("accept_due",),
    Status.ACCEPTED: ("resolve_due",),
    Status.DISPATCHED: ("sign_due", "resolve_due"),
    Status.IN_PROGRESS: ("resolve_due",),
    Status.RESOLVED: ("check_due",),
}


def for_display(rows: list[dict]) -> list[dict]:
    """Ledger-shaped rows with their Chinese labels and running clocks, for any list of cases."""
    for row in rows:
        row["status_label"] = Status(row["status"]).label
        if "stream" in row:
            row["stream_label"] = Stream(row["stream"]).label
        row["clocks"] = running_clocks(row)
    return rows


def running_clocks(row) -> list[dict]:
    """[{label, due}] for a ledger row (dict) or a case (object)."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    clocks = []
    for name in RUNNING.get(str(get("status")), ()):
        due = get(name)
        if due is not None:
            clocks.append({"label": CLOCK_LABELS[name], "due": due})
    return clocks
