"""Scoring schemes are configuration, edited by `admin` in the admin (audited): the scheme with its
scored items, deductions and vetoes on one page."""

from django.contrib import admin

from pingan.audit.admin_mixins import AuditedModelAdmin

from .models import Deduction, Item, Scheme, Veto


class ItemInline(admin.TabularInline):
    model = Item
    fields = ["order", "name", "kpi", "indicator", "screening", "weight", "direction", "floor", "target"]
    extra = 0


class DeductionInline(admin.TabularInline):
    model = Deduction
    fields = ["order", "name", "kpi", "indicator", "per", "cap"]
    extra = 0


class VetoInline(admin.TabularInline):
    model = Veto
    fields = ["order", "name", "kpi", "indicator", "screening", "comparison", "threshold"]
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "effective_from", "effective_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    inlines = [ItemInline, DeductionInline, VetoInline]
