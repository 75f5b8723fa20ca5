"""Programmes and their checklists are configuration, edited by `admin` in the admin (audited). The
register and the applications are kept on the 平安创建 pages, never here."""

from django.contrib import admin

from pingan.audit.admin_mixins import AuditedModelAdmin

from .models import ChecklistItem, Programme


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ["order", "text", "points"]


@admin.register(Programme)
class ProgrammeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "subject_kind", "organisation_kind", "pass_mark", "notice_days", "active"]
    list_filter = ["subject_kind", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["veto_indicators"]
    inlines = [ChecklistItemInline]
