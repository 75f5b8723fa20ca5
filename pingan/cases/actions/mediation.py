"""调解协议的履行 (GOVERNANCE §11): what became of a signed agreement — its 履行情况, and the 司法确认
the parties sought from a court."""

from datetime import date, datetime

from pingan.accounts.models import User
from pingan.core.errors import invalid

from ..clocks import LOCAL
from ..models import Agreement, Case
from .base import transition

NOTE_NEEDED = (Agreement.Performance.PARTLY, Agreement.Performance.NOT)


def record_performance(
    case: Case, *, by: User, state: str, note: str = "", now: datetime | None = None
) -> Case:
    """履行情况 as the handler found it; a later record replaces it (partly performed, then performed)."""
    with transition(case, "record_performance", by=by, now=now) as c:
        if state in NOTE_NEEDED and not note:
            raise invalid({"note": "部分履行或未履行的，请写明未履行的内容和下一步措施"})
        a = c.case.agreement
        previous = a.performance
        a.performance, a.performance_note, a.performance_recorded_at = state, note, c.now
        a.save(update_fields=["performance", "performance_note", "performance_recorded_at"])
        c.data = {
            "state": state,
            "note": note,
            "previous": previous,
            "due": a.performance_due,
            "late": a.performance_due is not None and c.now.astimezone(LOCAL).date() > a.performance_due,
        }
    return c.case


def record_judicial_confirmation(
    case: Case,
    *,
    by: User,
    applied_on: date,
    court: str,
    result: str | None = None,
    result_on: date | None = None,
    now: datetime | None = None,
) -> Case:
    """司法确认: the application (date, court) and, once the court has ruled, its result and date. Recorded
    again when the result comes; each record is an event."""
    with transition(case, "record_judicial_confirmation", by=by, now=now) as c:
        a = c.case.agreement
        _check_dates(a, c.now.astimezone(LOCAL).date(), applied_on, result, result_on)
        a.judicial_confirmation = True
        a.confirmation_applied_on, a.confirmation_court = applied_on, court
        a.confirmation_result, a.confirmation_result_on = result or "", result_on
        a.save(
            update_fields=[
                "judicial_confirmation",
                "confirmation_applied_on",
                "confirmation_court",
                "confirmation_result",
                "confirmation_result_on",
            ]
        )
        c.data = {"applied_on": applied_on, "court": court, "result": result or "", "result_on": result_on}
    return c.case


def _check_dates(a: Agreement, today: date, applied_on: date, result: str | None, result_on: date | None):
    errors = {}
    signed = a.signed_at.astimezone(LOCAL).date()
    if applied_on > today:
        errors["applied_on"] = "申请日期不能晚于今天"
    elif applied_on < signed:
        errors["applied_on"] = f"申请日期不能早于协议签订日期（{signed:%Y-%m-%d}）"
    if result and result_on is None:
        errors["result_on"] = "已有结果的，请填写结果日期"
    elif result_on is not None and not result:
        errors["result"] = "填写了结果日期的，请选择结果"
    elif result_on is not None and result_on > today:
        errors["result_on"] = "结果日期不能晚于今天"
    elif result_on is not None and result_on < applied_on:
        errors["result_on"] = "结果日期不能早于申请日期"
    if errors:
        raise invalid(errors)
