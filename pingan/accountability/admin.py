"""The rules that propose entries are configuration, edited by `admin` in the admin (audited). Entries
are kept on the 问责台账 page and through the API, never here."""

from django.contrib import admin

from pingan.audit.admin_mixins import AuditedModelAdmin

from .models import Rule


@admin.register(Rule)
class RuleAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "level", "params", "deadline_days", "active"]
    list_filter = ["kind", "level", "active"]
    search_fields = ["code", "name"]
