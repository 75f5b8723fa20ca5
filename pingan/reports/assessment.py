"""The assessment parts of the reports (GOVERNANCE §5): the town and department rankings and the 红黑榜 of
the 月通报, the scores with each item's points and deductions of the 季考评, and the accountability
entries proposed in the quarter. Figures come from pingan.assessment.ranking (the KPI engine and the
imported statistics), never from a scan of the cases.

The 红黑榜 rule is the setting PINGAN_HONOUR_ROLL: the first `commend_top` by rank are commended
(红榜) unless their grade is one that is criticised; criticised (黑榜) are those whose grade is in
`criticise_grades` and, with `criticise_last`, whoever ranks last."""

from typing import Any

from django.conf import settings

from pingan.accountability.models import Entry
from pingan.assessment.kpis import is_rate
from pingan.assessment.ranking import LEVELS, ranking
from pingan.core.errors import DomainError
from pingan.core.periods import Period
from pingan.regions.models import Region, subtree_q

HonourRule = dict[str, Any]

WORDS = {"month": "上月", "quarter": "上季", "week": "上周", "year": "上年"}


def rankings(region: Region, period: Period) -> dict[str, dict]:
    """The town and department rankings of a county by the schemes in force; a level without a
    scheme (or a region that is not a county) is left out."""
    if region.level != Region.Level.COUNTY:
        return {}
    found = {}
    for level in LEVELS:
        try:
            found[level] = ranking(level, period, county=region)
        except DomainError:  # no scheme in force for the period
            continue
    return found


def _value(key: str, value) -> str | float | None:
    if value is None:
        return None
    if not key.startswith("statistic:") and is_rate(key):
        return f"{value * 100:.1f}%"
    return round(value, 2)


def _change(change: int | None) -> str:
    if change is None:
        return "—"
    return "持平" if change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def _who(level: str) -> str:
    return LEVELS[level].split("（")[0]


def ranking_table(level: str, result: dict, period: Period) -> dict:
    """名次, name, score, grade, change, and the figure of each scored item."""
    rows = result["rows"]
    items = rows[0]["items"] if rows else []
    columns = ["名次", _who(level), "得分", "等次", f"较{WORDS[period.kind]}", *(i["name"] for i in items)]
    body = [
        [r["rank"], r["name"], r["score"], r["grade"], _change(r["rank_change"]),
         *(_value(i["key"], i["value"]) for i in r["items"])]
        for r in rows
    ]  # fmt: skip
    title = (
        f"{LEVELS[level]}考核排名（{result['scheme']['name']}，满分 {result['scheme']['full_mark']:g} 分）"
    )
    return {"type": "table", "title": title, "columns": columns, "rows": body}


def score_chart(level: str, result: dict) -> dict:
    ranked = [r for r in result["rows"] if r["score"] is not None]
    return {
        "type": "chart", "chart": "bar", "title": f"{LEVELS[level]}考核得分", "unit": "分",
        "categories": [r["name"] for r in ranked],
        "series": [{"name": "得分", "values": [r["score"] for r in ranked]}],
    }  # fmt: skip


def honour_roll(result: dict) -> tuple[list[dict], list[tuple[dict, str]]]:
    """(commended rows, [(criticised row, why)]) by the rule PINGAN_HONOUR_ROLL."""
    rule: HonourRule = settings.PINGAN_HONOUR_ROLL
    ranked = [r for r in result["rows"] if r["rank"] is not None]
    bad_grades = set(rule.get("criticise_grades", ()))
    last = max((r["rank"] for r in ranked), default=None)
    criticised = []
    for r in ranked:
        reasons = []
        if r["vetoed"]:
            reasons.append("触发否决项：" + "、".join(v["name"] for v in r["vetoes"]))
        elif r["grade"] in bad_grades:
            reasons.append(f"考核等次为 {r['grade']}")
        if rule.get("criticise_last") and r["rank"] == last and len(ranked) > 1:
            reasons.append("排名末位")
        if reasons:
            criticised.append((r, "；".join(reasons)))
    named = {r["code"] for r, _ in criticised}
    top = int(rule.get("commend_top", 3))
    commended = [r for r in ranked if r["rank"] <= top and r["code"] not in named]
    return commended, criticised


def honour_table(found: dict[str, dict]) -> dict:
    rows = []
    for level, result in found.items():
        commended, criticised = honour_roll(result)
        rows += [
            ["红榜", _who(level), r["name"], r["rank"], r["score"], r["grade"], "排名前列"] for r in commended
        ]
        rows += [
            ["黑榜", _who(level), r["name"], r["rank"], r["score"], r["grade"], why] for r, why in criticised
        ]
    columns = ["榜单", "类别", "名称", "名次", "得分", "等次", "理由"]
    return {"type": "table", "title": "红黑榜", "columns": columns, "rows": rows}


def honour_rule_text() -> str:
    rule: HonourRule = settings.PINGAN_HONOUR_ROLL
    grades = "、".join(rule.get("criticise_grades", ())) or "无"
    last = "及排名末位的" if rule.get("criticise_last") else ""
    return (
        f"按考核结果通报：名次前 {rule.get('commend_top', 3)} 位（等次不在批评之列）的列入红榜，"
        f"通报表扬；考核等次为 {grades} 的（触发否决项即为 E 等）{last}列入黑榜，通报批评。"
    )


def monthly_blocks(region: Region, period: Period) -> tuple[list[dict], list[dict]]:
    """(the ranking section's blocks, the 红黑榜 section's blocks) of the 月通报."""
    found = rankings(region, period)
    if not found:
        return [], []
    blocks = []
    for level, result in found.items():
        blocks.append(ranking_table(level, result, period))
    if "town" in found:
        blocks.append(score_chart("town", found["town"]))
    return blocks, [{"type": "text", "text": honour_rule_text()}, honour_table(found)]


# ---------------------------------------------------------------- 季考评


def scores_table(level: str, result: dict, period: Period) -> dict:
    """Each subject's points per item and per deduction, its vetoes, score, grade and rank."""
    rows = result["rows"]
    first = rows[0] if rows else {"items": [], "deductions": []}
    columns = [
        "名次", _who(level),
        *(f"{i['name']}（{i['weight']:g}分）" for i in first["items"]),
        *(f"扣分：{d['name']}" for d in first["deductions"]),
        "否决项", "得分", "等次", f"较{WORDS[period.kind]}",
    ]  # fmt: skip
    body = [
        [r["rank"], r["name"], *(i["points"] for i in r["items"]),
         *(-d["points"] or 0 for d in r["deductions"]),
         "、".join(v["name"] for v in r["vetoes"]) or "—", r["score"], r["grade"], _change(r["rank_change"])]
        for r in rows
    ]  # fmt: skip
    note = "计分项指标值为空（分母为 0 或未报送）的不计分，得分按其余计分项的分值折算；触发否决项的等次为 E。"
    return {"type": "table", "title": f"{LEVELS[level]}考评得分（{result['scheme']['name']}）",
            "columns": columns, "rows": body, "note": note}  # fmt: skip


def grade_summary(level: str, result: dict) -> str:
    rows = result["rows"]
    counts = {g: sum(1 for r in rows if r["grade"] == g) for g in "ABCDE"}
    spread = "、".join(f"{g} 等 {n} 个" for g, n in counts.items() if n)
    vetoed = "、".join(r["name"] for r in rows if r["vetoed"])
    unscored = sum(1 for r in rows if r["score"] is None)
    text = f"{LEVELS[level]}参评 {len(rows)} 个，按《{result['scheme']['name']}》考评：{spread or '无等次'}。"
    if vetoed:
        text += f"因触发否决项评为 E 等：{vetoed}。"
    if unscored:
        text += f"{unscored} 个本期无可计分指标，不参与排名。"
    return text


def entries_table(region: Region, period: Period) -> dict:
    """The accountability entries proposed (or entered) in the quarter, in the region."""
    entries = (
        Entry.objects.filter(date__gte=period.start, date__lt=period.end)
        .filter(subtree_q("region", region.code) | subtree_q("unit__region", region.code))
        .select_related("region", "unit")
        .order_by("date", "id")
    )
    rows = [
        [e.date.isoformat(), e.subject_name, e.get_level_display(), e.trigger, e.get_status_display()]
        for e in entries
    ]
    columns = ["日期", "对象", "问责方式", "触发原因", "状态"]
    return {"type": "table", "title": "本季度问责建议", "columns": columns, "rows": rows}
