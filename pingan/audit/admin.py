from django.contrib import admin

from .labels import ACTION_GROUPS, action_label, object_type_label
from .models import AuditEntry
from .summary import summarise


class ActionFilter(admin.SimpleListFilter):
    title = "操作"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [
            (code, f"{group} · {label}") for group, codes in ACTION_GROUPS for code, label in codes.items()
        ]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and no one edits or deletes it here. Who may read it
    (the `auditor` role) is the `audit.view_auditentry` permission, see pingan.accounts.backends.
    Auditors work on the 审计日志 page (/audit/); this view stays for the record."""

    list_display = ["id", "at", "actor", "action_name", "object_kind", "object_id", "details"]
    list_filter = [ActionFilter]
    search_fields = ["actor", "object_id"]

    @admin.display(description="操作", ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    @admin.display(description="对象类型", ordering="object_type")
    def object_kind(self, obj):
        return object_type_label(obj.object_type) if obj.object_type else ""

    @admin.display(description="详情")
    def details(self, obj):
        return summarise(obj.data, obj.object_type, limit=60)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
