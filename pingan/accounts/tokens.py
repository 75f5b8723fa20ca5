"""API tokens (DESIGN §7, §8): who a bearer token speaks for, and the tokens a user holds."""

import copy

from django.db.models import QuerySet
from django.utils import timezone

from pingan.core.memo import Memo

from .models import ApiToken, User, hash_token

# How stale `last_used_at` may get: writing it on every request would cost a write per read.
TOUCH_SECONDS = 300


# The token rows read, with their users, kept by each process for a few seconds: a revoked token, a
# deactivated user or a password change (which deletes the user's tokens) is refused everywhere within
# PINGAN_MEMO_SECONDS (pingan.core.memo), at once by the process that made the change.
TOKENS: Memo[ApiToken | None] = Memo("token", forget_on=(ApiToken, User))


def user_for_token(token: str) -> User | None:
    """The active user of a valid, unexpired token; notes when the token was last used."""
    now = timezone.now()
    key = hash_token(token)
    row = TOKENS.get(key, lambda: ApiToken.objects.select_related("user").filter(key_hash=key).first())
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOUCH_SECONDS:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    # A copy: the request hangs its own things on its user (its scope), which must not outlive it.
    return copy.copy(row.user)


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first, expired ones included until they are revoked."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_out(token: ApiToken) -> dict:
    """A token as its holder sees it in a list: never the secret, which is not even stored."""
    return {
        "id": token.pk,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "expired": token.expired,
    }
