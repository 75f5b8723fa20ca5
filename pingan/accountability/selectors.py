"""Reading the ledger: the entries of regions in the reader's subtree, filtered as the page and the API
filter; and the entries in force that dashboards show."""

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.core.errors import invalid, not_found
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import subtree_q

from .access import dashboard_q, readable_q
from .models import Entry, Level

DASHBOARD_ROWS = 10


def visible_entries(
    user, *, status: str = "", level: str = "", region: str = "", unit: str = ""
) -> QuerySet[Entry]:
    q = readable_q(scope_of(user))
    rows = Entry.objects.select_related("region", "unit", "unit__region", "rule")
    if q is None:
        return rows.none()
    rows = rows.filter(q)
    if status:
        if status not in Entry.Status.values:
            raise invalid({"status": "状态应为 proposed、confirmed、dismissed 或 lifted。"})
        rows = rows.filter(status=status)
    if level:
        if level not in Level.values:
            raise invalid({"level": "问责方式应为 reminder、bulletin、interview、listing 或 referral。"})
        rows = rows.filter(level=level)
    if region:
        rows = rows.filter(subtree_q("region", region) | subtree_q("unit__region", region))
    if unit:
        rows = rows.filter(unit__code=unit)
    return rows.order_by("-date", "-id")


def find_entry(user, entry_id) -> Entry:
    if (
        not 0 < int(entry_id) <= MAX_RECORD_ID
    ):  # beyond any database id: asked for, it would overflow the query
        raise not_found()
    entry = visible_entries(user).filter(pk=entry_id).first()
    if entry is None:
        raise not_found()
    return entry


def in_force_q(today) -> Q:
    """What a dashboard shows until lifted: every confirmed 挂牌; the other levels while their
    deadline has not passed."""
    confirmed = Q(status=Entry.Status.CONFIRMED)
    return confirmed & (Q(level=Level.LISTING) | Q(deadline__gte=today))


def dashboard_entries(user) -> list[Entry]:
    """Entries in force in the user's scope, listings first, then by deadline: one short query, asked
    for only by the dashboards that show it."""
    q = dashboard_q(scope_of(user))
    if q is None:
        return []
    rows = Entry.objects.filter(q, in_force_q(timezone.localdate())).select_related("region", "unit")
    first = Case(When(level=Level.LISTING, then=Value(0)), default=Value(1))
    return list(rows.order_by(first, "deadline", "-id")[:DASHBOARD_ROWS])


def listings_of(codes, start, end) -> dict[str, Entry]:
    """The 挂牌 of each region in `codes` dated in [start, end) that was confirmed (in force, or lifted
    since): what a veto by listing reads (平安创建). The earliest per region; regions without one are
    left out."""
    rows = Entry.objects.filter(
        region_id__in=list(codes),
        level=Level.LISTING,
        status__in=(Entry.Status.CONFIRMED, Entry.Status.LIFTED),
        date__gte=start,
        date__lt=end,
    ).order_by("-date", "-id")
    return {entry.region_id or "": entry for entry in rows}
