"""Reading reports: those of regions in the reader's subtree, newest first."""

from django.db.models import QuerySet

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.core.errors import not_found

from .actions import READERS
from .models import Report


def visible_reports(user) -> QuerySet[Report]:
    q = policy.region_q(scope_of(user), READERS)
    rows = Report.objects.select_related("region", "created_by", "published_by")
    return rows.none() if q is None else rows.filter(q)


def find_report(user, report_id) -> Report:
    report = visible_reports(user).filter(pk=report_id).first()
    if report is None:
        raise not_found()
    return report
