"""Who reads alerts and who acts on them: the subtree rule of the one policy (GOVERNANCE §1).
Dispatchers, supervisors and leaders whose region covers the alert read it; the dispatchers act on it
(dismiss, open a rectification case) and are the ones told of it."""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.scope import Scope

READERS = ("dispatcher", "supervisor", "leader")
ACTORS = ("dispatcher",)


def may_read(scope: Scope, code: str) -> bool:
    return policy.covers(scope, READERS, code)


def may_act(scope: Scope, code: str) -> bool:
    return policy.covers(scope, ACTORS, code)


def readable_q(scope: Scope) -> Q | None:
    return policy.region_q(scope, READERS, "region")


def recipients(code: str) -> list:
    """The active dispatchers whose region covers the alert's place."""
    return policy.holders("dispatcher", policy.Subject(region=code))
