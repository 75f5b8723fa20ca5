"""The demo's 专项整治 (GOVERNANCE §6): 电动车安全隐患专项整治 across the county, in its 集中整治 phase
today. Tasks for the towns' 综治中心 and county departments — most on track, some accepted, a few late
(past their due, or a progress report missed); a 问题清单 of rectification cases, those of the two towns
with demo handlers mostly closed through the real case actions, the others still being worked; and one
回头看 round, one item failed (reopened as 反弹), one passed. All through the real actions, the clock moved.
"""

import io
from datetime import datetime, time, timedelta

from django.utils import timezone
from PIL import Image

from pingan.campaigns import actions
from pingan.campaigns.models import Campaign, ReviewItem
from pingan.cases.actions import (
    accept_case,
    add_attachment,
    check_pass,
    dispatch_case,
    resolve_case,
    sign_case,
)

from .county import County

NAME = "电动车安全隐患专项整治"
PHASES = (("动员部署", -40, -26), ("集中整治", -25, 20), ("巩固提升", 21, 50), ("检查验收", 51, 65))
TASKS = (
    # (title, unit: "town:<i>:<kind>" or a county unit's key, issued and due (days from today), report
    # every N days, progress reports filed, how it ends)
    ("制定本镇（街道）整治方案并召开动员会", "town:0:centre", -38, -28, None, 0, "accepted"),
    ("全面排查小区电动车违规充电、楼道停放情况", "town:0:centre", -24, 10, 7, 3, "open"),
    ("建设集中充电车棚不少于 5 处", "town:1:centre", -24, 15, 7, 3, "open"),
    ("排查沿街商铺“人车同屋”问题并建立台账", "town:1:centre", -24, -3, 7, 3, "open"),  # past due: late
    ("开展电动车火灾警示宣传进社区", "town:2:centre", -24, 12, 5, 0, "open"),  # no report yet: late
    ("对电动车销售、维修门店开展专项检查", "SCJ", -22, 18, None, 0, "open"),
    ("调处电动车停放引发的邻里纠纷", "town:0:judicial", -22, -5, 10, 1, "completed"),
    ("组织夜查不少于 4 次", "XFDD", -22, 20, None, 0, "open"),
)
FINDINGS = (
    "楼道内停放电动车并充电", "车棚私拉电线为电动车充电", "商铺内“人车同屋”违规充电",
    "小区充电桩未设置防火分隔", "地下车库停放电动车", "出租房电动车入户充电",
)  # fmt: skip
PER_TOWN = 4
SUMMARY = "已拆除私拉电线，设置集中充电点。"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (70, 120, 90)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _at(day: int, hour: int = 10) -> datetime:
    return datetime.combine(
        timezone.localdate() + timedelta(days=day), time(hour), tzinfo=timezone.get_current_timezone()
    )


def seed_campaigns(county: County) -> int:
    """One campaign with its tasks, findings and a 回头看 round; nothing when one exists. Returns 1 or 0."""
    if Campaign.objects.exists() or len(county.towns) < 3 or "supervisor" not in county.users:
        return 0
    users = county.users
    supervisor, dispatcher = users["supervisor"], users["dispatcher"]
    towns = county.towns
    today = timezone.localdate()
    campaign = actions.create_campaign(
        supervisor,
        {
            "name": NAME, "scope_regions": [county.code], "lead_unit": county.units["ZZZX"].code,
            "units": [county.town_unit(t, "centre").code for t in towns]
            + [county.units[k].code for k in ("XFDD", "ZJJ", "SCJ", "YJJ")],
            "phases": [{"name": n, "starts_on": str(today + timedelta(days=a)),
                        "ends_on": str(today + timedelta(days=b))} for n, a, b in PHASES],
            "indicators": [
                {"name": "整改事项办结率", "unit": "%", "baseline": 62, "target": 95, "direction": "up",
                 "source": "closed_rate"},
                {"name": "在办安全隐患", "unit": "件", "baseline": 180, "target": 60, "direction": "down",
                 "source": "cases:stream=hazard&status=accepted,dispatched,in_progress"},
                {"name": "超期未办结件数", "unit": "件", "baseline": 40, "target": 10, "direction": "down",
                 "source": "overdue_open"},
            ],
        },
        now=_at(-40, 9),
    )  # fmt: skip
    _tasks(county, campaign)
    _findings(county, campaign)
    rnd = actions.draw_review(campaign, by=supervisor, share=None)
    items = list(ReviewItem.objects.filter(round=rnd).select_related("finding__case").order_by("id"))
    if items:
        actions.reinspect(items[0], by=dispatcher, result="failed", note="复查发现车棚内又有私拉电线充电")
    for item in items[1:2]:
        actions.reinspect(item, by=dispatcher, result="passed", note="现场复查整改到位")
    return 1


def _unit(county: County, key: str):
    if key.startswith("town:"):
        _, town, kind = key.split(":")
        return county.town_unit(county.towns[int(town)], kind)
    return county.units[key]


def _tasks(county: County, campaign: Campaign) -> None:
    supervisor, handlers = (
        county.users["supervisor"],
        {0: county.users["handler"], 1: county.users["handler2"]},
    )
    for title, key, issued, due, every, reports, end in TASKS:
        unit = _unit(county, key)
        payload = {"title": title, "unit": unit.code, "due": str(timezone.localdate() + timedelta(days=due)),
                   "report_every_days": every, "evidence_required": end != "open"}  # fmt: skip
        task = actions.add_task(campaign, by=supervisor, payload=payload, now=_at(issued, 9))
        town = int(key.split(":")[1]) if key.startswith("town:") else None
        handler = handlers.get(town) if town is not None else None
        if handler is None:  # a unit without a demo account: nothing reported yet
            continue
        for n in range(reports):
            at = _at(issued + (n + 1) * (every or 7) - 1, 16)
            actions.report_progress(
                task, by=handler, note=f"第{n + 1}次进展：已排查并登记问题，正在督促整改。", now=at
            )
        if end in ("completed", "accepted"):
            actions.complete_task(task, by=handler, note="已按要求完成，材料附后。",
                                  files=[("工作现场.jpg", _jpeg())], now=_at(due - 1, 15))  # fmt: skip
        if end == "accepted":
            actions.accept_task(task, by=supervisor, note="材料齐全，验收通过。", now=_at(due, 10))


def _findings(county: County, campaign: Campaign) -> None:
    users = county.users
    supervisor, dispatcher = users["supervisor"], users["dispatcher"]
    handlers = {0: users["handler"], 1: users["handler2"]}
    photo = _jpeg()
    for t, town in enumerate(county.towns):
        villages = county.villages[town.code]
        for i in range(PER_TOWN):
            village = villages[i % len(villages)]
            major = t == 1 and i == 0
            title = ("重大隐患：" if major else "") + FINDINGS[(t + i) % len(FINDINGS)]
            f = actions.add_finding(
                campaign, by=supervisor, now=_at(-20 + i * 3 + t % 3, 9),
                payload={"title": f"{village.name}{title}", "region": village.code,
                         "description": f"集中整治检查发现：{village.name}{title}，要求限期整改。",
                         "severity": "major" if major else "normal"},
            )  # fmt: skip
            case, start = f.case, -18 + i * 3 + t % 3
            stage = 0 if t >= 4 else (3 if t in handlers and i < 3 else 2 if t in handlers else 1 + i % 2)
            if stage >= 1:
                case = accept_case(case, by=dispatcher, now=_at(start, 10))
            if stage >= 2:
                case = dispatch_case(case, by=dispatcher, lead_unit=county.town_unit(town, "centre"),
                                     now=_at(start, 11))  # fmt: skip
            if stage >= 3:
                handler = handlers[t]
                case = sign_case(case, by=handler, now=_at(start + 1, 9))
                att = add_attachment(handler, case.number, kind="evidence", name="整改后.jpg", content=photo,
                                     content_type="image/jpeg")  # fmt: skip
                case = resolve_case(case, by=handler, outcome="resolved", summary=SUMMARY, evidence=[att.pk])
                check_pass(case, by=supervisor, note="现场核查整改到位，予以销号。")
