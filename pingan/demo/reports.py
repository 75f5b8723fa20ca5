"""Published 月通报 of the demo county for the last three months (GOVERNANCE §5, issue 12 part 9), made
and published by the county's supervisor through the real actions, as a 平安办 would have done."""

from datetime import date

from pingan.core.periods import period_of
from pingan.reports.actions import generate, publish, set_commentary
from pingan.reports.models import Report

from .county import County

COMMENTARY = (
    "各乡镇（街道）、各有关单位要对照本通报，逐件梳理超期和挂牌督办案件，明确责任人和办结时限，"
    "确保按期销号；对排名靠后的单位，县平安办将适时开展督导。"
)


def seed_reports(county: County, *, today: date | None = None, months: int = 3) -> int:
    """The last `months` monthly reports, published; nothing when reports exist. Returns how many."""
    if Report.objects.exists():
        return 0
    supervisor = county.users["supervisor"]
    period = period_of("month", today or date.today()).previous()
    for _ in range(months):
        report = generate("monthly", period.key, county.code, by=supervisor)
        publish(set_commentary(report, COMMENTARY, by=supervisor), by=supervisor)
        period = period.previous()
    return months
