"""The notices move here from the cases app: the table cases_notification is taken over as it stands
and renamed, then gains `link`."""

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
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=32, verbose_name="类型")),
                        ("message", models.CharField(max_length=300, verbose_name="内容")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="已读时间")),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                to="cases.case",
                                verbose_name="案件",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="接收人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "消息",
                        "verbose_name_plural": "消息",
                        "ordering": ["-id"],
                        "db_table": "cases_notification",
                        "indexes": [models.Index(fields=["recipient", "read_at"], name="notification_inbox")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="notification", table=None),
        migrations.AddField(
            model_name="notification",
            name="link",
            field=models.CharField(blank=True, max_length=200, verbose_name="链接"),
        ),
    ]
