"""Default categories, time limits (DESIGN §4, §5) and the holidays chinese_calendar knows.

The data is frozen here as it was when this migration was written: a migration must not follow later
edits of the live defaults (pingan.cases.defaults), or two databases migrated at different times
would differ.
"""

from django.db import migrations

CATEGORIES = {
    "dispute": (
        [
            "婚姻家庭",
            "邻里",
            "房屋宅基地",
            "合同",
            "生产经营",
            "损害赔偿",
            "山林土地",
            "征地拆迁",
            "环境污染",
            "劳动争议（含欠薪）",
            "消费",
            "医疗",
            "道路交通事故",
            "物业",
            "村务管理",
            "其他",
        ],
        "D",
        False,
    ),
    "petition": (["建议意见", "检举控告", "申诉求决"], "P", False),
    "request": (["咨询", "求助", "投诉", "举报", "建议"], "R", False),
    "hazard": (["消防", "燃气", "危化品", "建筑施工", "道路交通", "自建房", "电动车", "其他"], "H", True),
    "grid_event": (["治安防范", "环境卫生", "公共设施", "矛盾苗头", "其他"], "G", True),
    "tip": (["涉黑涉恶", "黄赌毒", "欺行霸市", "其他违法犯罪"], "T", False),
    "rectification": (["督导整改", "专项整治", "回头看"], "X", True),
}

ND, WD, WH = "natural_days", "work_days", "work_hours"
# stream: {step: (amount, unit)}; hazard's resolve limit depends on severity.
TIME_LIMITS = {
    "petition": {"accept": (15, ND), "sign": (5, WD), "resolve": (60, ND), "check": (15, ND)},
    "dispute": {"accept": (2, WD), "sign": (1, WD), "resolve": (30, ND), "check": (5, WD)},
    "request": {"accept": (2, WH), "sign": (4, WH), "resolve": (5, WD), "check": (2, WD)},
    "hazard": {"accept": (1, WD), "sign": (4, WH), "resolve": (15, ND), "check": (3, WD)},
    "grid_event": {"accept": (2, WH), "sign": (2, WH), "resolve": (3, WD), "check": (1, WD)},
    "tip": {"accept": (5, WD), "sign": (2, WD), "resolve": (30, ND), "check": (5, WD)},
    "rectification": {"accept": (1, WD), "sign": (1, WD), "resolve": (30, ND), "check": (5, WD)},
}
MAJOR_HAZARD_RESOLVE = (7, ND)
PETITION_MAX_EXTENSION_DAYS = 30


def category_code(prefix: str, index: int) -> str:
    return f"{prefix}{index + 1:02d}"


def load_defaults(apps) -> None:
    Category = apps.get_model("cases", "Category")
    TimeLimitRule = apps.get_model("cases", "TimeLimitRule")
    for stream, (names, prefix, evidence) in CATEGORIES.items():
        for i, name in enumerate(names):
            Category.objects.get_or_create(
                code=category_code(prefix, i),
                defaults={"stream": stream, "name": name, "sort": i, "evidence_required": evidence},
            )
    for stream, steps in TIME_LIMITS.items():
        for step, (amount, unit) in steps.items():
            TimeLimitRule.objects.get_or_create(
                stream=stream,
                category=None,
                severity="",
                step=step,
                defaults={
                    "amount": amount,
                    "unit": unit,
                    "max_extension_days": PETITION_MAX_EXTENSION_DAYS
                    if (stream, step) == ("petition", "resolve")
                    else None,
                },
            )
    amount, unit = MAJOR_HAZARD_RESOLVE
    TimeLimitRule.objects.get_or_create(
        stream="hazard",
        category=None,
        severity="major",
        step="resolve",
        defaults={"amount": amount, "unit": unit},
    )


def load_holidays(apps) -> int:
    """Statutory holidays and make-up working days known to chinese_calendar."""
    from chinese_calendar import constants

    CalendarDay = apps.get_model("cases", "CalendarDay")
    rows = [CalendarDay(date=d, is_workday=False, note=str(name)) for d, name in constants.holidays.items()]
    rows += [
        CalendarDay(date=d, is_workday=True, note=f"{name}调休") for d, name in constants.workdays.items()
    ]
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)




def forwards(apps, schema_editor):
    load_defaults(apps)
    load_holidays(apps)


def backwards(apps, schema_editor):
    for name in ("TimeLimitRule", "Category", "CalendarDay"):
        apps.get_model("cases", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
