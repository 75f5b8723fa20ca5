"""矛盾纠纷 as the public reports them: a `request` category with the disputes residents bring most.

The public path files only `request`, `hazard` and `tip` (DESIGN §7), so a dispute reported on the
portal is a request in this subtree; once dispatched it runs on the dispute stream's sign, resolve and
check limits (DESIGN §4), while acceptance keeps the request's pace. Frozen here as written.
"""

from django.db import migrations

ROOT = ("R06", "矛盾纠纷")
CHILDREN = [
    ("R0601", "邻里纠纷"),
    ("R0602", "劳资纠纷（含欠薪）"),
    ("R0603", "婚姻家庭纠纷"),
    ("R0604", "房屋宅基地纠纷"),
    ("R0605", "物业纠纷"),
    ("R0606", "消费纠纷"),
    ("R0607", "山林土地纠纷"),
    ("R0608", "道路交通事故纠纷"),
    ("R0609", "其他纠纷"),
]
# The dispute stream's defaults (0002_defaults): sign 1 work day, resolve 30 days, check 5 work days.
LIMITS = {"sign": (1, "work_days"), "resolve": (30, "natural_days"), "check": (5, "work_days")}


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    TimeLimitRule = apps.get_model("cases", "TimeLimitRule")
    root, _ = Category.objects.get_or_create(
        code=ROOT[0], defaults={"stream": "request", "name": ROOT[1], "sort": 5}
    )
    for i, (code, name) in enumerate(CHILDREN):
        Category.objects.get_or_create(
            code=code, defaults={"stream": "request", "name": name, "sort": i, "parent": root}
        )
    for step, (amount, unit) in LIMITS.items():
        TimeLimitRule.objects.get_or_create(
            stream="request", category=root, severity="", step=step, defaults={"amount": amount, "unit": unit}
        )


def backwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(code__in=[code for code, _ in CHILDREN]).delete()
    Category.objects.filter(code=ROOT[0]).delete()  # its time limits go with it (CASCADE)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_event_writer")]

    operations = [migrations.RunPython(forwards, backwards)]
