"""Tips (举报线索): units and users named in a tip as involved never see it (DESIGN §8, 回避).

`Case.objects.visible_to` already leaves such tips out, so they answer 404 like any case out of scope;
this module records those refusals in the audit log, so that custodians can see who tried.
"""

from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.regions.models import Unit

from .models import Case, Stream
from .models.case import excluded_tips


def touches(a: Unit, b: Unit) -> bool:
    """One unit is the other, or above or below it. A grant on either reaches the other, so an
    exclusion of one keeps the other's people out too (as `Scope.unit_codes` does)."""
    return f"/{a.code}/" in b.path or f"/{b.code}/" in a.path


def excluded_units(case: Case) -> list[Unit]:
    if case.stream != Stream.TIP:
        return []
    return [e.unit for e in case.exclusions.select_related("unit") if e.unit]


def is_excluded(user, case: Case) -> bool:
    return case.stream == Stream.TIP and excluded_tips(scope_of(user)).filter(case_id=case.pk).exists()


def note_refused(user, number: str) -> None:
    """Call after a 404 outside any transaction that will roll back: audits a refused excluded user."""
    case = Case.objects.filter(number=number, stream=Stream.TIP).only("pk", "stream").first()
    if case is not None and user is not None and user.is_authenticated and is_excluded(user, case):
        record(user.username, "case.excluded_access", object_type="case", object_id=number, data={})
