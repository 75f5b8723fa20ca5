"""Cases flagged 督办 before the records existed get a record, so that flag and record agree. Their
first report falls due a full interval after this migration: nobody is marked late for the past."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def records_for_flagged_cases(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Supervision = apps.get_model("supervision", "Supervision")
    days = settings.PINGAN_LISTED_REPORT_DAYS
    now = timezone.now()
    flagged = Case.objects.exclude(supervision_level="").exclude(supervisions__lifted_at__isnull=True)
    for case in flagged.iterator():
        last = (
            CaseEvent.objects.filter(case=case, action__in=("supervise", "accept"))
            .order_by("-id")
            .values_list("at", flat=True)
            .first()
        )
        Supervision.objects.create(
            case=case,
            level=case.supervision_level,
            requirement="启用督办台账前已督办，请督办人补充督办要求。",
            report_every_days=days,
            issued_at=last or case.reported_at,
            next_report_due=now + timedelta(days=days),
        )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial"), ("cases", "0007_progress_work_record")]

    operations = [migrations.RunPython(records_for_flagged_cases, migrations.RunPython.noop)]
