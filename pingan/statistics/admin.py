"""Indicator definitions are configuration, edited by `admin` in the admin (audited). Figures are
entered on the 统计数据 page, imported or posted to the API, never edited here."""

from django.contrib import admin

from pingan.audit.admin_mixins import AuditedModelAdmin

from .models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "name",
        "unit",
        "source",
        "direction",
        "aggregation",
        "survey",
        "target",
        "active",
    ]
    list_filter = ["source", "direction", "survey", "active"]
    search_fields = ["code", "name", "source"]
