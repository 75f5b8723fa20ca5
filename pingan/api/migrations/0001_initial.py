"""The idempotency records move here from the cases app: the table cases_idempotencyrecord is taken
over as it stands and renamed, then gains an index on `resource` (a purge looks its case up there)."""

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0005_event_writer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=128)),
                        ("body_hash", models.CharField(max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("resource", models.CharField(blank=True, max_length=64)),
                        ("response", models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "db_table": "cases_idempotencyrecord",
                        "constraints": [models.UniqueConstraint(fields=("user", "key"), name="idempotency_user_key")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="idempotencyrecord", table=None),
        migrations.AddIndex(
            model_name="idempotencyrecord",
            index=models.Index(fields=["resource"], name="idempotency_resource"),
        ),
    ]
