"""The demo's accountability ledger (GOVERNANCE §3): a town's 综治中心 under 挂牌 with a deadline and its
rectification cases, a 约谈 held two months ago and lifted since, and whatever the rule "挂牌督办案件超期
30 天" proposes from the generated cases — all through the real actions, as the county's supervisor."""

from datetime import timedelta

from django.utils import timezone

from pingan.accountability import actions
from pingan.accountability.models import Entry, Rule
from pingan.accountability.rules import listed_case_overdue
from pingan.cases.models import Case
from pingan.cases.models.case import OPEN_STATUSES

from .county import County

REQUIREMENT = (
    "一、30 日内逐件梳理超期案件，明确责任人和办结时限；二、每周向县综治中心报送整改进展；"
    "三、整改期满由县平安办组织验收，验收合格后解除挂牌。"
)


def seed_accountability(county: County) -> int:
    """A few believable entries; nothing when the ledger has any. Returns how many were written."""
    if Entry.objects.exists() or len(county.towns) < 2:
        return 0
    supervisor = county.users["supervisor"]
    today = timezone.localdate()
    listed_town, interviewed_town = county.towns[-1], county.towns[1]
    centre = county.town_unit(listed_town, "centre")
    listing = actions.enter(
        by=supervisor, unit=centre, level="listing", on=today - timedelta(days=12),
        trigger=f"{centre.name}超期未办结案件数连续两月居全县首位，按期办结率低于全县平均水平。",
        requirement=REQUIREMENT, deadline=today + timedelta(days=48),
        attendees=f"县委政法委副书记、{listed_town.name}党（工）委书记、{listed_town.name}政法委员",
    )  # fmt: skip
    mine = Case.objects.visible_to(supervisor).filter(lead_unit=centre, status__in=OPEN_STATUSES)
    numbers = list(mine.order_by("resolve_due").values_list("number", flat=True)[:3])
    if numbers:
        actions.link_cases(listing, numbers, by=supervisor)
    interview = actions.enter(
        by=supervisor, region=interviewed_town, level="interview", on=today - timedelta(days=63),
        trigger=f"{interviewed_town.name}矛盾纠纷化解率连续两月全县末位。",
        requirement="查找化解率偏低的原因，制定整改方案，一个月内报县平安办。",
        deadline=today - timedelta(days=33),
        attendees=f"县委政法委常务副书记、{interviewed_town.name}党（工）委书记、{interviewed_town.name}综治中心主任",
    )  # fmt: skip
    actions.lift(
        interview, by=supervisor, note="整改方案已报送，次月化解率回升至全县中游，经县平安办验收解除。"
    )
    rule = Rule.objects.filter(code="listed_overdue_30", active=True).first()
    proposed = listed_case_overdue(rule) if rule else []
    return 2 + len(proposed)
