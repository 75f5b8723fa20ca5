"""The two rules GOVERNANCE §3 names, in force from the start; `admin` edits them in the admin."""

from django.db import migrations

RULES = (
    ("listed_overdue_30", "挂牌督办案件超期 30 天", "listed_case_overdue", "bulletin", {"days": 30},
     "对超期挂牌督办案件逐件说明原因，明确办结时限，按期报送整改情况。", 30),
    ("town_last_2", "乡镇（街道）考核连续两期末位", "ranking_last", "interview",
     {"periods": 2, "level": "town", "period": "month"},
     "查找排名落后原因，制定整改方案，下期考核退出末位。", 60),
)  # fmt: skip


def create(apps, schema_editor):
    Rule = apps.get_model("accountability", "Rule")
    for code, name, kind, level, params, requirement, days in RULES:
        Rule.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "level": level, "params": params, "requirement": requirement,
            "deadline_days": days,
        })  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("accountability", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
