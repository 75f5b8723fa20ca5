"""API tokens (DESIGN §7): who a bearer token speaks for."""

from django.utils import timezone

from .models import ApiToken, User, hash_token

# How stale `last_used_at` may get: writing it on every request would cost a write per read.
TOUCH_SECONDS = 300


def user_for_token(token: str) -> User | None:
    """The active user of a valid token; notes when the token was last used."""
    row = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOUCH_SECONDS:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
