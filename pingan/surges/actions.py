"""Writing alerts: the day's detection (alerts, the run's row, the notices to the dispatchers), and the
dispatcher's two decisions on an alert: dismiss it with a reason, or open a rectification case from it
through the case intake. Each write is audited; checks run in the order of DESIGN §4: scope (404),
role (403), state (409), fields (400)."""

from collections.abc import Callable
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.cases.actions import create_case
from pingan.cases.models import Case, Category, Stream
from pingan.core.errors import forbidden, invalid, invalid_transition, not_found
from pingan.notices.delivery import tell

from .access import may_act, may_read, recipients
from .detection import Finding, Thresholds, detect
from .models import SurgeAlert, SurgeRun
from .selectors import RELATED, category_name, describe, place_name

NOTICE_KIND = "surge"
MAX_TEXT = 2000
RECTIFICATION_CATEGORY = "督导整改"


def _create(finding: Finding, day: date, now: datetime) -> SurgeAlert | None:
    """The alert, or None when a run at the same moment wrote its key first."""
    try:
        with transaction.atomic():
            return SurgeAlert.objects.create(
                key=finding.key, kind=finding.kind, region_id=finding.region, category_id=finding.category,
                place=finding.place, window_start=finding.window_start, window_end=finding.window_end,
                count=finding.count, baseline=finding.baseline, p_value=finding.p_value,
                source_case_id=finding.source_case, run_day=day, detected_at=now,
            )  # fmt: skip
    except IntegrityError:
        return None


def notify(alerts: list[SurgeAlert]) -> int:
    """One notice per alert to each dispatcher whose region covers it, once (its key)."""
    told: dict[str, list] = {}
    offered = 0
    for alert in SurgeAlert.objects.filter(pk__in=[a.pk for a in alerts]).select_related(*RELATED):
        if alert.region_id not in told:
            told[alert.region_id] = recipients(alert.region_id)
        offered += tell(
            told[alert.region_id],
            kind=NOTICE_KIND,
            message=f"研判预警：{describe(alert)}，请研判处置。",
            link=f"/surges/{alert.pk}/",
            key=f"surge:{alert.pk}",
            at=alert.detected_at,
        )
    return offered


def run_detection(
    day: date | None = None, *, progress: Callable[[str], None] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Detect for `day` (today by default: the days before it), write what is new and tell the
    dispatchers. A second run of the same day finds its alerts already there and writes nothing new."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    say = progress or (lambda _msg: None)
    say(f"正在研判 {day:%Y-%m-%d} 之前 7 日的案件…")
    findings = detect(day, Thresholds.configured())
    counts = {kind: 0 for kind in SurgeAlert.Kind.values}
    created = []
    for finding in findings:
        if (alert := _create(finding, day, now)) is not None:
            created.append(alert)
            counts[alert.kind] += 1
    rise, cluster, group = counts["rise"], counts["cluster"], counts["group"]
    say(f"新增预警：数量上升 {rise} 条，同一地点集中 {cluster} 条，较大群体性 {group} 条")
    counts["notices"] = notify(created)
    with transaction.atomic():
        run, fresh = SurgeRun.objects.get_or_create(day=day, defaults={"started_at": now, "counts": counts})
        if not fresh:  # a re-run: what it adds to the day's first run
            run.counts = {k: run.counts.get(k, 0) + n for k, n in counts.items()}
        run.finished_at = timezone.now()
        run.save()
        record("system", "surges.detect", object_type="surges.surgerun", object_id=str(run.pk),
               data={"day": day, **counts})  # fmt: skip
    say(f"已通知受理分派员 {counts['notices']} 人次")
    return counts


# ---------------------------------------------------------------- the dispatcher's decisions


def _check_actor(by, alert: SurgeAlert) -> None:
    scope = scope_of(by)
    if may_act(scope, alert.region_id):
        return
    if may_read(scope, alert.region_id):
        raise forbidden("研判预警由受理分派员处置，领导和督导人员只能查看。")
    raise not_found()


def _locked_open(alert: SurgeAlert) -> SurgeAlert:
    alert = SurgeAlert.objects.select_for_update(of=("self",)).select_related(*RELATED).get(pk=alert.pk)
    if alert.status != SurgeAlert.Status.OPEN:
        raise invalid_transition(f"该预警已{alert.get_status_display()}，不能再处置。")
    return alert


def _text(value, field: str, required: str, *, optional: bool = False) -> str:
    text = str(value or "").strip()
    if not text and not optional:
        raise invalid({field: required})
    if len(text) > MAX_TEXT:
        raise invalid({field: f"不能超过 {MAX_TEXT} 字。"})
    return text


def _audit(by, action: str, alert: SurgeAlert, **data) -> None:
    record(actor_name(by), action, object_type="surges.surgealert", object_id=str(alert.pk),
           data={"region": alert.region_id, "kind": alert.kind, **data})  # fmt: skip


@transaction.atomic
def dismiss(alert: SurgeAlert, *, by, reason, now: datetime | None = None) -> SurgeAlert:
    """排除: not a surge worth acting on (a known cause, a one-off), with the reason."""
    _check_actor(by, alert)
    alert = _locked_open(alert)
    alert.reason = _text(reason, "reason", "请填写排除理由。")
    alert.status, alert.acted_by, alert.acted_at = SurgeAlert.Status.DISMISSED, by, now or timezone.now()
    alert.save()
    _audit(by, "surges.dismiss", alert, reason=alert.reason)
    return alert


def _category() -> str | None:
    rows = Category.objects.filter(stream=Stream.RECTIFICATION, name=RECTIFICATION_CATEGORY, active=True)
    return rows.values_list("code", flat=True).first()


@transaction.atomic
def open_case(alert: SurgeAlert, *, by, title="", description="", now: datetime | None = None) -> Case:
    """转整改: a `rectification` case in the alert's place, registered through the case intake."""
    _check_actor(by, alert)
    alert = _locked_open(alert)
    title = (
        _text(title, "title", "", optional=True)
        or f"{place_name(alert.region)}{category_name(alert)}问题排查整改"
    )
    text = _text(description, "description", "", optional=True)
    summary = f"研判预警（{alert.get_kind_display()}）：{describe(alert)}。"
    intake = {
        "stream": Stream.RECTIFICATION, "category": _category(), "title": title[:200],
        "description": (f"{summary}\n{text}" if text else summary)[:5000],
        "channel": Case.Channel.ASSIGNED, "region": alert.region_id,
    }  # fmt: skip
    case = create_case(by, intake, now=now)
    alert.status, alert.case, alert.acted_by, alert.acted_at = (
        SurgeAlert.Status.CASE_OPENED,
        case,
        by,
        case.reported_at,
    )
    alert.save()
    _audit(by, "surges.open_case", alert, case=case.number)
    return case
