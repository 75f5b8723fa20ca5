"""Rate limits for the public path, per client, without keeping the client's address.

A client is known only by a keyed hash of its address that changes with every window, held in the
cache until the window ends: nothing in the database or the logs can be traced back to an address.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache

from .errors import DomainError

clock = time.time  # tests move time forward by replacing this


def client_address(request) -> str:
    """The address our own proxies saw: the right-most trusted hop of the configured header, so a
    client cannot pick its own bucket by sending a first hop of its choosing."""
    header = settings.PINGAN_CLIENT_ADDRESS_HEADER
    hops = [a.strip() for a in (request.META.get(header) or "").split(",") if a.strip()] if header else []
    if hops:
        return hops[-min(settings.PINGAN_TRUSTED_PROXY_HOPS, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def _client(request, window: int, bucket: int) -> str:
    address = client_address(request)
    msg = f"{window}:{bucket}:{address}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), msg, hashlib.sha256).hexdigest()[:32]


def _key(request, scope: str, window: int) -> tuple[str, float]:
    now = clock()
    bucket = int(now // window)
    retry_after = (bucket + 1) * window - now
    return f"throttle:{scope}:{bucket}:{_client(request, window, bucket)}", retry_after


def _refuse(retry_after: float) -> DomainError:
    wait = f"{int(retry_after) + 1} 秒" if retry_after < 60 else f"{round(retry_after / 60)} 分钟"
    return DomainError(
        "rate_limited",
        f"操作过于频繁，请 {wait}后再试。",
        status=429,
        headers={"Retry-After": str(max(1, int(retry_after + 0.999)))},
    )


def check(request, scope: str, limit: int, window: int) -> None:
    """Refuse when this client has used up `limit` in the current window, without counting."""
    key, retry_after = _key(request, scope, window)
    if (cache.get(key) or 0) >= limit:
        raise _refuse(retry_after)


def count(request, scope: str, window: int) -> None:
    key, _ = _key(request, scope, window)
    cache.add(key, 0, timeout=window + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)


def hit(request, scope: str, limit: int, window: int) -> None:
    """Count one request and refuse it if it goes over the limit."""
    check(request, scope, limit, window)
    count(request, scope, window)
