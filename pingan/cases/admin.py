"""Configuration (categories, time limits, routing, calendar, retention) is edited here, every write
audited (pingan.audit.admin_mixins). Cases themselves are read-only in the admin: writes go through
the workflow actions.
"""

from django.contrib import admin, messages

from pingan.audit.admin_mixins import AuditedModelAdmin

from .clocks import clear_calendar_cache, missing_holiday_years
from .models import CalendarDay, Case, CaseEvent, Category, RetentionPolicy, RoutingRule, TimeLimitRule


class TimeLimitInline(admin.TabularInline):
    model = TimeLimitRule
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "stream", "parent", "evidence_required", "default_lead_unit", "active"]
    list_filter = ["stream", "active", "evidence_required"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "default_lead_unit"]
    inlines = [TimeLimitInline]


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(AuditedModelAdmin):
    list_display = [
        "stream",
        "category",
        "severity",
        "step",
        "amount",
        "unit",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["stream", "step", "unit"]
    raw_id_fields = ["category"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    list_display = ["category", "region", "lead_unit", "effective_from", "effective_to"]
    list_filter = ["category__stream"]
    raw_id_fields = ["category", "region", "lead_unit"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        for year in missing_holiday_years():
            messages.warning(request, f"{year} 年的节假日安排尚未录入，该年按周一至周五计算工作日。")
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        clear_calendar_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        clear_calendar_cache()


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(AuditedModelAdmin):
    list_display = ["stream", "days"]
    list_editable = ["days"]

    def has_delete_permission(self, request, obj=None):
        # One row per stream; without it `pingan purge` keeps that stream's personal data for ever.
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "from_status", "to_status", "data")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "stream", "status", "region", "lead_unit", "reported_at"]
    list_filter = ["stream", "status"]
    search_fields = ["number", "title"]
    inlines = [EventInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return Case.objects.visible_to(request.user).select_related("region", "lead_unit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
