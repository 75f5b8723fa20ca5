"""Lockout per client (DESIGN §8): many failed sign-ins from one address, whatever usernames they
try, stop that address from signing in for a while — the other half of the lock beside django-axes'
lock per username.

The limit is higher than the per-username one because a town office signs in from behind one address.
Failures are counted in the throttle's cache buckets, which hold a keyed hash of the address and never
the address itself.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied

from pingan.core import throttle
from pingan.core.errors import DomainError

SCOPE = "login-failures"


def window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def is_locked(request) -> bool:
    try:
        throttle.check(request, SCOPE, settings.PINGAN_CLIENT_LOGIN_FAILURES, window())
    except DomainError:
        return True
    return False


def count_failure(request) -> bool:
    """Count a failed sign-in of this client; true when this one reaches the limit."""
    throttle.count(request, SCOPE, window())
    return not getattr(request, "client_locked", False) and is_locked(request)


class ClientLockBackend:
    """First among the backends: a locked client is refused before any password is checked. Django then
    reports the try as failed, and axes' middleware answers with the lockout page (or JSON)."""

    def authenticate(self, request, **credentials):
        if request is not None and is_locked(request):
            request.client_locked = True
            request.axes_locked_out = True
            raise PermissionDenied
        return None

    def get_user(self, user_id):
        return None
