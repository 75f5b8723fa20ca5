"""The indicator a 平安创建 veto reads most often (GOVERNANCE §9: 「命案」一票否决), defined from the start
for 公安 to import per village; `admin` edits it in the admin. Left alone when the code exists."""

from django.db import migrations


def create(apps, schema_editor):
    Indicator = apps.get_model("statistics", "Indicator")
    Indicator.objects.get_or_create(
        code="homicide",
        defaults={"name": "命案起数", "unit": "起", "source": "县公安局", "direction": "down", "aggregation": "sum",
                  "order": 12},
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("creation", "0001_programmes_register_applications"), ("statistics", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
