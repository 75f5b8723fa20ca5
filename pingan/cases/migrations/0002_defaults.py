from django.db import migrations

from pingan.cases.defaults import load_defaults, load_holidays


def forwards(apps, schema_editor):
    load_defaults(apps)
    load_holidays(apps)


def backwards(apps, schema_editor):
    for name in ("TimeLimitRule", "Category", "CalendarDay"):
        apps.get_model("cases", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
