"""What each kind of report says, as data (a `document`): sections of text, tables and charts. The
screen, the .docx and the .xlsx are all drawn from this one structure, and publishing freezes it.

    {"title", "subtitle", "sections": [{"heading", "blocks": [
        {"type": "text", "text"} | {"type": "table", "title", "columns", "rows"} |
        {"type": "chart", "chart": "bar"|"line", "title", "unit", "categories",
         "series": [{"name", "values"}]} |
        {"type": "commentary"}]}]}
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from pingan.campaigns.selectors import is_late, late_reason, tasks_for_schedule
from pingan.core.periods import Period
from pingan.regions.models import Region
from pingan.surges import selectors as surges

from . import assessment, monthly, weekly

NUMERALS = "一二三四五六七八九十"


def bounds(period: Period) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(period.start, time.min, tzinfo=zone),
        datetime.combine(period.end, time.min, tzinfo=zone),
    )


def _office(region: Region) -> str:
    """Who issues the report: the 平安办 of the county the region lies in."""
    county = Region.objects.filter(code=region.code[:6]).first() or region
    return f"{county.name}平安建设领导小组办公室"


def _day(d) -> str:
    return f"{d.month}月{d.day}日"


def _sections(*parts: tuple[str, list[dict]]) -> list[dict]:
    return [{"heading": f"{NUMERALS[i]}、{h}", "blocks": b} for i, (h, b) in enumerate(parts) if b]


def _table(title: str, columns: list[str], rows: list[list]) -> dict:
    return {"type": "table", "title": title, "columns": columns, "rows": rows}


def _town_chart(title: str, rows: list[list], names: tuple[str, str], cols: tuple[int, int]) -> dict:
    towns = rows[1:]  # without 合计
    return {
        "type": "chart", "chart": "bar", "title": title, "unit": "件",
        "categories": [r[0] for r in towns],
        "series": [{"name": names[0], "values": [r[cols[0]] for r in towns]},
                   {"name": names[1], "values": [r[cols[1]] for r in towns]}],
    }  # fmt: skip


def weekly_document(region: Region, period: Period, now: datetime) -> dict:
    start, end = bounds(period)
    towns, units = weekly.weekly_tables(region, start, end, now)
    child = "乡镇（街道）" if region.level == "county" else "村（社区）"
    total = towns[0]
    summary = (
        f"本周{region.name}新增各类案件 {total[1]} 件，办结 {total[2]} 件；目前在办 {total[3]} 件，"
        f"其中超期 {total[4]} 件、挂牌督办 {total[6]} 件（督办报告逾期 {total[7]} 件），"
        f"重大隐患在办 {total[9]} 件。"
    )
    columns = [child.split("（")[0], *weekly.columns("周")]
    return {
        "title": f"{region.name}平安建设周调度表",
        "subtitle": f"{period.label}（{_day(period.start)}—{_day(end.date() - timedelta(days=1))}）",
        "sections": _sections(
            ("总体情况", [{"type": "text", "text": summary}]),
            (
                f"各{child}",
                [
                    _table(f"各{child}案件办理情况", columns, towns),
                    _town_chart("本周新增与办结", towns, ("新增", "办结"), (1, 2)),
                ],
            ),
            (
                "各单位",
                [_table("各牵头单位案件办理情况", ["单位", *weekly.columns("周")], units)] if units else [],
            ),
            ("专项整治任务", _campaign_tasks(region, period, now)),
            ("研判预警", _surge_alerts(region, period)),
            ("调度意见", [{"type": "commentary"}]),
        ),
        "footer": _office(region),
    }


def _campaign_tasks(region: Region, period: Period, now: datetime) -> list[dict]:
    """The campaign tasks due this week or late (GOVERNANCE §5), with the unit that owes them."""
    today = timezone.localdate(now)
    tasks = tasks_for_schedule(region.code, period.start, period.end - timedelta(days=1), today)
    if not tasks:
        return [{"type": "text", "text": "本周没有到期或逾期的专项整治任务。"}]
    late = sum(1 for t in tasks if is_late(t, today))
    rows = [
        [t.campaign.name, t.title, t.unit.name, f"{t.due:%Y-%m-%d}", late_reason(t, today) or "本周到期"]
        for t in tasks
    ]
    return [
        {"type": "text", "text": f"本周到期或已逾期的专项整治任务 {len(tasks)} 项，其中逾期 {late} 项。"},
        _table("专项整治任务到期与逾期", ["专项整治", "任务", "责任单位", "完成时限", "情况"], rows),
    ]


def _surge_alerts(region: Region, period: Period) -> list[dict]:
    """The 研判预警 raised during the week (GOVERNANCE §5): place, category and counts only."""
    alerts = surges.alerts_between(region.code, period.start, period.end - timedelta(days=1))
    if not alerts:
        return [{"type": "text", "text": "本周没有研判预警。"}]
    still_open = sum(1 for a in alerts if a.status == "open")
    rows = [
        [f"{a.run_day:%m-%d}", surges.place_name(a.region), a.get_kind_display(), surges.category_name(a),
         surges.window_text(a), a.count, f"{a.baseline:.1f}" if a.baseline is not None else "—",
         a.get_status_display()]
        for a in alerts
    ]  # fmt: skip
    columns = ["研判日期", "区划", "预警类型", "分类", "统计期间", "件数（人数）", "前8周周均", "状态"]
    return [
        {"type": "text", "text": f"本周研判预警 {len(alerts)} 条，其中尚待研判 {still_open} 条。"},
        _table("研判预警", columns, rows),
    ]


def monthly_document(region: Region, period: Period, now: datetime) -> dict:
    start, end = bounds(period)
    streams = monthly.stream_table(
        region, (bounds(period), bounds(period.previous()), bounds(period.year_ago()))
    )
    towns, _ = weekly.weekly_tables(region, start, end, now)
    overdue, listed = monthly.case_lists(region, now)
    stats = monthly.statistics_rows(region, period)
    total = streams[-1]
    child = "乡镇（街道）" if region.level == "county" else "村（社区）"
    summary = (
        f"{period.label}，{region.name}共登记各类案件 {total[1]} 件，环比 {total[3]}，同比 {total[5]}；"
        f"办结 {total[6]} 件。截至通报时，超期未办结 {towns[0][4]} 件，挂牌督办在办 {towns[0][6]} 件。"
    )
    case_columns = ["案件编号", "标题", "区划", "牵头单位", "超期天数"]
    ranked, honour = assessment.monthly_blocks(region, period)
    return {
        "title": f"{region.name}平安建设工作月通报",
        "subtitle": period.label,
        "sections": _sections(
            (
                "总体情况",
                [
                    {"type": "text", "text": summary},
                    _table(
                        "各类案件登记与办结",
                        ["类型", "本月登记", "上月", "环比", "去年同月", "同比", "本月办结"],
                        streams,
                    ),
                ],
            ),
            (
                f"各{child}情况",
                [
                    _table(f"各{child}案件办理情况", [child.split("（")[0], *weekly.columns("月")], towns),
                    _town_chart("本月登记与办结", towns, ("登记", "办结"), (1, 2)),
                ],
            ),
            ("考核排名", ranked),
            ("红黑榜", honour),
            (
                "超期和挂牌督办案件",
                [
                    _table("超期未办结案件（按超期时间排序）", case_columns, overdue),
                    _table("挂牌督办案件", case_columns, listed),
                ],
            ),
            (
                "有关部门统计数据",
                [_table("部门报送的统计数据", ["来源部门", "指标", "本月", "同比"], stats)] if stats else [],
            ),
            ("工作要求", [{"type": "commentary"}]),
        ),
        "footer": _office(region),
    }


def quarterly_document(region: Region, period: Period, now: datetime) -> dict:
    found = assessment.rankings(region, period)
    summary = [assessment.grade_summary(level, result) for level, result in found.items()]
    results = []
    for level, result in found.items():
        results.append((
            f"{assessment.LEVELS[level]}考评结果",
            [assessment.scores_table(level, result, period), assessment.score_chart(level, result)],
        ))  # fmt: skip
    return {
        "title": f"{region.name}平安建设季度考评",
        "subtitle": period.label,
        "sections": _sections(
            ("考评概况", [{"type": "text", "text": t} for t in summary or ["本季度没有在用的考核方案。"]]),
            *results,
            ("问责建议", [assessment.entries_table(region, period)]),
            ("工作要求", [{"type": "commentary"}]),
        ),
        "footer": _office(region),
    }


BUILDERS = {"weekly": weekly_document, "monthly": monthly_document, "quarterly": quarterly_document}
PERIOD_KINDS = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
