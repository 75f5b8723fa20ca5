from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, RoleGrant, User


class GrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["region", "unit"]


@admin.register(User)
class PinganUserAdmin(UserAdmin):
    list_display = ["username", "full_name", "is_active", "last_login"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("平安", {"fields": ["full_name"]}))
    inlines = [GrantInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created_at", "last_used_at"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
