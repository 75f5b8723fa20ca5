"""When the database is away: every request answers 503 at once, and the next one after it returns
works again (pingan.settings keeps connection attempts short and checks kept connections).

Django turns any exception that escapes a view or a middleware into the 500 handler's answer, inside
the `except` that caught it; so the handler, not a middleware (which sees only the view's
exceptions), is the one place that sees them all. The pages it renders read nothing from the
database, which is what failed."""

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = "5"
UNAVAILABLE = {"error": {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后重试。"}}
# SQLite reports a programming error ("no such table") as OperationalError too; only these mean the
# database is busy or out of reach.
SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open", "disk i/o")


def database_unavailable(exc: BaseException | None) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if connection.vendor == "sqlite":
        return any(text in str(exc).lower() for text in SQLITE_UNAVAILABLE)
    # PostgreSQL: lost or refused connections, shutdown, lock and statement timeouts, deadlocks —
    # each one is worth retrying a little later.
    return True


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 in the API's error format (or a page) when the database failed, else a 500."""
    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        body = (
            UNAVAILABLE if unavailable else {"error": {"code": "server_error", "message": "服务器内部错误。"}}
        )
        response: HttpResponse = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        page = render_to_string("pingan/unavailable.html", {"unavailable": unavailable})
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = RETRY_AFTER_SECONDS
    return response
