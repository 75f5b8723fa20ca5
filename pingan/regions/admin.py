from django.contrib import admin

from .models import Region, Unit


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["level"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "region", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region", "parent"]
