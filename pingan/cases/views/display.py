"""How a case's state reads on a page: which clocks run and what they say."""

from ..models import Status, Stream
from ..models.case import running_clocks as clocks_in

CLOCK_LABELS = {"accept": "受理", "sign": "签收", "resolve": "办结", "check": "核查"}


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
    for step, name in clocks_in(str(get("status"))):
        due = get(name)
        if due is not None:
            clocks.append({"label": CLOCK_LABELS[step], "due": due})
    return clocks
