"""Tips (举报线索): units and users named in a tip as involved never see it (DESIGN §8, 回避).

The policy keeps them out (`Case.subject()` carries the exclusions), so such tips answer 404 like any
case out of scope; this module records those refusals in the audit log, so that custodians can see who
tried, and says which units an exclusion reaches.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.core.errors import DomainError
from pingan.regions.models import Unit

from .models import Case, Stream


def touches(a: Unit, b: Unit) -> bool:
    """One unit is the other, or above or below it. A grant on either reaches the other, so an
    exclusion of one keeps the other's people out too (as `Scope.unit_codes` does)."""
    return f"/{a.code}/" in b.path or f"/{b.code}/" in a.path


def excluded_units(case: Case) -> list[Unit]:
    if case.stream != Stream.TIP:
        return []
    return [e.unit for e in case.exclusions.select_related("unit") if e.unit]


def note_refused(user, number: str) -> None:
    """Call after a 404 outside any transaction that will roll back: audits a refused excluded user."""
    if user is None or not user.is_authenticated:
        return
    case = Case.objects.filter(number=number, stream=Stream.TIP).first()
    if case is not None and policy.kept_out(scope_of(user), case.subject()):
        record(user.username, "case.excluded_access", object_type="case", object_id=number, data={})


@contextmanager
def refusals_noted(user, number: str) -> Iterator[None]:
    """Around a write's transaction: a 404 that kept an excluded user out of a tip is audited after the
    write rolled back (inside it, the audit entry would roll back too)."""
    try:
        yield
    except DomainError as error:
        if error.status == 404:
            note_refused(user, number)
        raise
