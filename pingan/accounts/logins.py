"""Sign-ins, failed sign-ins and lockouts in the audit chain (DESIGN §8), whichever door was used: the
login page, the admin's, or `POST /api/v1/auth/token`. Connected in AccountsConfig.ready to Django's
`user_logged_in` / `user_login_failed` and django-axes' `user_locked_out`.

Never recorded: the password tried (Django hands receivers only a masked copy, and we keep none of
it), and a username that names no account, which is often a password typed into the wrong field.
"""

from axes.helpers import get_failure_limit
from django.conf import settings
from django.http import HttpRequest

from pingan.audit.log import record

from . import clientlock
from .middleware import start_session
from .models import User
from .twofactor import ANONYMOUS, has_device


def channel_of(request: HttpRequest | None) -> str:
    path = getattr(request, "path", "")
    if path.startswith("/api/"):
        return "api"
    return "admin" if path.startswith("/admin/") else "web"


def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    start_session(request, enrolled=has_device(user))
    _record(user.get_username(), "auth.login", user, request)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Past a limit, the try was refused before any password was checked: the account or the client
    # was locked.
    client_locked = getattr(request, "client_locked", False)
    locked = client_locked or _failures(request) > get_failure_limit(request, credentials)
    _record(ANONYMOUS, "auth.login_failed", _known(credentials), request, locked=locked)
    if request is not None and clientlock.count_failure(request):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        _record(ANONYMOUS, "auth.client_locked_out", None, request, minutes=minutes)


def on_locked_out(sender, request=None, username=None, **kwargs) -> None:
    # axes sends this for the failure that locks an account and again for each try while it is
    # locked (each of which restarts the lock); those are failed logins above, marked `locked`.
    credentials = {User.USERNAME_FIELD: username}
    if _failures(request) != get_failure_limit(request, credentials):
        return
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    _record(ANONYMOUS, "auth.locked_out", _known(credentials), request, minutes=minutes)


def _failures(request) -> int:
    """Failures counted for this username so far, this one included (axes notes it on the request)."""
    return getattr(request, "axes_failures_since_start", None) or 0


def _known(credentials: dict) -> User | None:
    username = credentials.get(User.USERNAME_FIELD)
    if not isinstance(username, str) or not username:
        return None
    return User.objects.filter(username=username).first()


def _record(actor: str, action: str, user: User | None, request, **extra) -> None:
    data = {"username": user.get_username() if user else None, "channel": channel_of(request), **extra}
    record(actor, action, object_type="accounts.user", object_id=str(user.pk) if user else "", data=data)
