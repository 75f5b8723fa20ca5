"""Events record the step they end and the due time then in force, and link their audit entry; the
notices and the API's idempotency records move to their own apps (notices.0001, api.0001 take over
the same tables, so nothing is copied or lost). Events written before this migration keep no link."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("cases", "0004_public_side"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="audit",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="audit.auditentry",
            ),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="due",
            field=models.DateTimeField(blank=True, null=True, verbose_name="环节时限"),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="step",
            field=models.CharField(blank=True, max_length=8, verbose_name="结束环节"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IdempotencyRecord"),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[],
        ),
    ]
