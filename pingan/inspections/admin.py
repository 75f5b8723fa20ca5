"""Risk grades, checklists and the units that inspect are configuration, edited by `admin` (audited).
Places, inspections and re-inspections are written on the 隐患排查 pages and the API only."""

from django.contrib import admin
from django.db import transaction

from pingan.audit.admin_mixins import AuditedModelAdmin

from .actions import reschedule
from .models import ChecklistItem, InspectingUnit, RiskGrade


@admin.register(RiskGrade)
class RiskGradeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "interval_days", "sort"]

    def save_model(self, request, obj, form, change):
        # A new interval moves the next due day of the grade's places with it.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            reschedule(obj)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(AuditedModelAdmin):
    list_display = ["text", "kind", "category", "sort", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["text"]


@admin.register(InspectingUnit)
class InspectingUnitAdmin(AuditedModelAdmin):
    list_display = ["unit"]
    autocomplete_fields = ["unit"]
