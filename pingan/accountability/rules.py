"""Running the rules (data, edited in the admin) that propose accountability entries. Each proposal has a
dedup key, so running them again, daily, proposes nothing twice; a supervisor confirms each.

- `listed_case_overdue` (days, default 30): an open case under 挂牌督办 overdue by that many days proposes
  an entry against its lead unit, once per case. Tips are left out: the ledger is read by leaders and
  supervisors, who never see a tip (DESIGN §8).
- `ranking_last` (periods, default 2; level town|unit; period month|quarter): the town or unit last in
  the ranking for that many ended periods running, once per run of periods ending with the latest.
  The ranking is asked of a provider passed in, `provider(level, period) -> [{"code", "rank"}, ...]`
  (the rows of GET /api/v1/kpis/ranking, with `county` when several counties are ranked). `pingan
  accountability propose` takes the one named by the setting PINGAN_RANKING_PROVIDER (by default
  pingan.assessment.ranking.provider) when it can be imported; without one these rules are skipped.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from pingan.cases.models import Case, Stream
from pingan.cases.models.case import OPEN_STATUSES, overdue_q
from pingan.core.periods import Period, period_of
from pingan.regions.models import Region, Unit

from .actions import propose
from .models import Entry, Rule

RankingProvider = Callable[[str, Period], list[dict]]
Progress = Callable[[str], None]


def listed_case_overdue(rule: Rule, now=None) -> list[Entry]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = int(rule.param("days"))
    cases = (
        Case.objects.filter(supervision_level=Case.Supervision.LISTED, status__in=OPEN_STATUSES)
        .exclude(stream=Stream.TIP)
        .filter(overdue_q(now - timedelta(days=days)), lead_unit__isnull=False)
        .select_related("lead_unit")
        .order_by("id")
    )
    proposed = []
    for case in cases.iterator(chunk_size=500):
        trigger = f"挂牌督办案件 {case.number}“{case.title[:60]}”超期已逾 {days} 天仍未办结。"
        # The case itself is the first thing to put right: it is linked as a rectification case.
        key = f"{rule.code}:{case.number}"
        entry = propose(rule, key=key, trigger=trigger, unit=case.lead_unit, today=today, cases=[case])
        if entry is not None:
            proposed.append(entry)
    return proposed


def ended_periods(kind: str, n: int, today: date) -> list[Period]:
    """The last `n` periods of `kind` that have ended by `today`, latest first."""
    periods = [period_of(kind, today).previous()]
    while len(periods) < n:
        periods.append(periods[-1].previous())
    return periods


def last_in(rows: list[dict]) -> set[str]:
    """The codes ranked last (ties share the last rank), within each county when rows name one; a
    ranking of one has no last place."""
    ranks: dict = {}
    for r in rows:
        if r.get("rank") is not None:
            ranks.setdefault(r.get("county"), []).append(r["rank"])
    return {
        r["code"]
        for r in rows
        if len(ranks.get(r.get("county"), ())) > 1 and r.get("rank") == max(ranks[r.get("county")])
    }


def ranking_last(rule: Rule, provider: RankingProvider, today: date | None = None) -> list[Entry]:
    today = today or timezone.localdate()
    level, kind, n = str(rule.param("level")), str(rule.param("period")), int(rule.param("periods"))
    periods = ended_periods(kind, max(n, 1), today)
    codes = set.intersection(*(last_in(provider(level, p)) for p in periods))
    proposed = []
    span = f"{periods[-1].key} 至 {periods[0].key}" if n > 1 else periods[0].key
    what = "乡镇（街道）" if level == "town" else "单位"
    for code in sorted(codes):
        subject = _subject(level, code)
        if subject is None:
            continue
        region, unit = (subject, None) if isinstance(subject, Region) else (None, subject)
        trigger = f"{subject.name}在{what}考核排名中连续 {n} 期末位（{span}）。"
        entry = propose(rule, key=f"{rule.code}:{code}:{periods[0].key}", trigger=trigger, region=region,
                        unit=unit, today=today)  # fmt: skip
        if entry is not None:
            proposed.append(entry)
    return proposed


def _subject(level: str, code: str) -> Region | Unit | None:
    if level == "town":
        return Region.objects.filter(code=code).first()
    return Unit.objects.filter(code=code).first()


def ranking_provider() -> RankingProvider | None:
    """The provider named by PINGAN_RANKING_PROVIDER (a dotted path), if it is set and importable."""
    path = settings.PINGAN_RANKING_PROVIDER
    if not path:
        return None
    try:
        return import_string(path)
    except ImportError:
        return None


def run_rules(provider: RankingProvider | None = None, *, progress: Progress | None = None, now=None) -> int:
    """Run every active rule; returns how many entries were proposed."""
    say = progress or (lambda message: None)
    now = now or timezone.now()
    total = 0
    for rule in Rule.objects.filter(active=True).order_by("code"):
        if rule.kind == Rule.Kind.LISTED_CASE_OVERDUE:
            found = listed_case_overdue(rule, now)
        elif provider is None:
            say(f"{rule.name}：排名引擎尚未接入，本次跳过。")
            continue
        else:
            found = ranking_last(rule, provider, timezone.localdate(now))
        say(f"{rule.name}：新提出 {len(found)} 条问责建议。")
        total += len(found)
    return total
