"""The 平安创建 part of `pingan sweep` (run by the timer every few minutes; each run is idempotent):
applications whose 公示 is over are awarded, and awards (or applications on notice) whose award year
holds a veto event are revoked. An imported figure of a veto indicator revokes at once (`on_figures`,
connected to the statistics' `figures_set` in apps.py), without waiting for the next sweep."""

from datetime import date, datetime

from django.db import DatabaseError
from django.utils import timezone

from pingan.core.errors import DomainError

from . import actions
from .models import Application, Status
from .selectors import VETO_STATES, vetoes

CHUNK = 500


def _candidates(apps) -> list[Application]:
    return list(
        apps.select_related("programme", "region", "village", "organisation").prefetch_related(
            "programme__veto_indicators"
        )[:CHUNK]
    )


def revoke_vetoed(regions: list[str] | None = None) -> int:
    """Revoke every award (or application on notice) with a veto event in its award year; `regions`
    narrows the check to those villages. Returns how many were revoked."""
    rows = Application.objects.filter(status__in=VETO_STATES, village__isnull=False).order_by("pk")
    if regions is not None:
        rows = rows.filter(region_id__in=regions)
    revoked, after = 0, 0
    while chunk := _candidates(rows.filter(pk__gt=after)):
        after = chunk[-1].pk
        for pk, reason in vetoes(chunk).items():
            app = next(a for a in chunk if a.pk == pk)
            try:
                actions.revoke(app, reason=reason)
            except DomainError:  # changed meanwhile (rejected during the notice): nothing to revoke
                continue
            revoked += 1
    return revoked


def award_due(today: date) -> int:
    """Award the applications whose notice period ended before `today` (vetoed ones are revoked first)."""
    awarded = 0
    due = Application.objects.filter(status=Status.NOTICE, notice_ends__lt=today).order_by("pk")
    after = 0
    while chunk := list(due.filter(pk__gt=after)[:CHUNK]):
        after = chunk[-1].pk
        for app in chunk:
            try:
                actions.award(app, today=today)
            except DomainError:
                continue
            awarded += 1
    return awarded


def sweep_awards(now: datetime | None = None) -> dict[str, int]:
    today = timezone.localdate(now or timezone.now())
    revoked = revoke_vetoed()
    return {"creation_revoked": revoked, "creation_awarded": award_due(today)}


def on_sweep(sender, now: datetime, **kwargs) -> dict[str, int]:
    return sweep_awards(now)


def on_figures(sender, values, **kwargs) -> None:
    """Figures were just committed: revoke at once where one of them is a veto figure above 0."""
    regions = sorted(
        {v.region_id[:12] for v in values if v.region_id and len(v.region_id) >= 12 and v.value > 0}
    )
    if not regions:
        return
    try:
        revoke_vetoed(regions)
    except DatabaseError:  # the import is committed; the next sweep revokes what this missed
        return
