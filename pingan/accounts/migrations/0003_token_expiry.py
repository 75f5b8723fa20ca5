"""API tokens expire (DESIGN §8). Tokens issued before this get created_at + 90 days, the default of
PINGAN_TOKEN_DAYS: already past it, a token stops working at once."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import DateTimeField, ExpressionWrapper, F

DAYS = 90


def expire_existing(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.update(
        expires_at=ExpressionWrapper(F("created_at") + timedelta(days=DAYS), output_field=DateTimeField())
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_saved_filters")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(expire_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
    ]
