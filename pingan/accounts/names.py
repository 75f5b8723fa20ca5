"""How staff are shown to staff: by their display name (姓名), never by their login name.

Events and audit entries name their actor by username (a stable key, like the audit chain); pages and
API answers turn those keys into names here, one query for a whole timeline."""

from collections.abc import Iterable

from .models import User

# Actors that are not accounts.
SPECIAL_ACTORS = {"system": "系统", "public": "反映人"}


def display_name(user: User | None) -> str:
    return "" if user is None else str(user)  # User.__str__ is the display name


def display_names(usernames: Iterable[str]) -> dict[str, str]:
    """Username → display name for every given actor; unknown names stay as they are."""
    wanted = set(usernames)
    names = {u: SPECIAL_ACTORS[u] for u in wanted & SPECIAL_ACTORS.keys()}
    accounts = wanted - names.keys()
    if accounts:
        for username, full_name in User.objects.filter(username__in=accounts).values_list(
            "username", "full_name"
        ):
            names[username] = full_name or username
    return {u: names.get(u, u) for u in wanted}
