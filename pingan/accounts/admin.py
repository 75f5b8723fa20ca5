"""Users, role grants, API tokens, regions and units in the admin; every write goes through an action.

Regions and units are registered here rather than in pingan.regions because their writes are
audited, and the regions app imports no other Pingan app.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingan.audit.admin_mixins import AuditedModelAdmin
from pingan.core.errors import DomainError
from pingan.regions.models import Region, RegionOutline, Unit

from .actions import (
    change_user,
    check_may_grant,
    create_user,
    deactivate_user,
    grant_role,
    revoke_grant,
    revoke_token,
    set_password,
)
from .models import ApiToken, RoleGrant, User

# Pingan's permissions are roles (pingan.accounts.backends); Django's groups would be a second,
# unaudited way to hand them out.
admin.site.unregister(Group)
# Authenticator devices are bound by their holder and cleared with `pingan reset_otp`, both audited;
# django-otp's own admin page would edit them unaudited.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class GrantForm(forms.ModelForm):
    """A grant's scope is one region or one unit. Duplicates are caught here: the database's unique
    constraint lets them through, since the unused side is NULL and NULLs never compare equal."""

    class Meta:
        model = RoleGrant
        fields = ["user", "role", "region", "unit"]

    def clean(self):
        data = super().clean() or {}
        region, unit = data.get("region"), data.get("unit")
        if (region is None) == (unit is None):
            raise forms.ValidationError("授权范围须是一个区划或一个单位，二者选一。")
        user_id = data["user"].pk if data.get("user") else self.instance.user_id
        same = RoleGrant.objects.filter(user_id=user_id, role=data.get("role"), region=region, unit=unit)
        if user_id and same.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("该用户已有这项授权。")
        return data


class GrantFormSet(BaseInlineFormSet):
    """Refuses, before anything is saved, any change to the grants of the user who is editing."""

    def __init__(self, *args, acting_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user

    def clean(self):
        super().clean()
        if self.instance.pk is None or not any(form.has_changed() for form in self.forms):
            return
        try:
            check_may_grant(self.acting_user, self.instance)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class GrantInline(admin.TabularInline):
    model = RoleGrant
    form = GrantForm
    formset = GrantFormSet
    fields = ["role", "region", "unit"]
    extra = 0
    raw_id_fields = ["region", "unit"]


@admin.register(User)
class PinganUserAdmin(AuditedModelAdmin, UserAdmin):
    list_display = ["username", "full_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = (
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "email"]}),
        # is_staff follows the admin and auditor roles; is_superuser is made only at the command line.
        ("状态", {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    )
    add_fieldsets = (
        (None, {"fields": ["username", "full_name", "usable_password", "password1", "password2"]}),
    )
    readonly_fields = ["is_staff", "is_superuser", "last_login", "date_joined"]
    inlines = [GrantInline]
    actions = ["deactivate_selected"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["username", "is_active"]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Users are deactivated, never deleted: cases, events and the audit log keep referring to them.
        return False

    def get_formset_kwargs(self, request, obj, inline, prefix):
        return {**super().get_formset_kwargs(request, obj, inline, prefix), "acting_user": request.user}

    def save_model(self, request, obj, form, change):
        if change:
            change_user(obj, by=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})
            return
        data = form.cleaned_data
        password = data["password1"] if data.get("set_usable_password") else None
        created = create_user(
            username=obj.username, password=password, full_name=obj.full_name, by=request.user
        )
        # The admin goes on with its own instance (inline grants, the history log, the redirect).
        obj.pk, obj.password, obj._state = created.pk, created.password, created._state

    def save_inline(self, request, obj):
        if not obj._state.adding:
            # A changed grant is a different grant: the old one is revoked, the new one granted.
            revoke_grant(obj, by=request.user)
        grant_role(obj.user, obj.role, region=obj.region, unit=obj.unit, by=request.user)

    def delete_inline(self, request, obj):
        revoke_grant(obj, by=request.user)

    @admin.action(description="停用所选用户", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "不能停用自己的账号，请由其他系统管理员办理。", messages.ERROR)
            return
        for user in queryset:
            deactivate_user(user, by=request.user)
        self.message_user(request, f"已停用 {len(queryset)} 个用户。")

    def user_change_password(self, request, id, form_url=""):
        """Django's page, with the save done by `set_password`; anything but a valid submit is
        left to Django's view, which shows the form and its errors."""
        user = self.get_object(request, unquote(id))
        if request.method == "POST" and user is not None and self.has_change_permission(request, user):
            form = self.change_password_form(user, request.POST)
            usable = form.is_valid() and form.cleaned_data["set_usable_password"]
            if form.is_valid() and (usable or "unset-password" in request.POST):
                set_password(user, form.cleaned_data["password1"] if usable else None, by=request.user)
                update_session_auth_hash(request, user)
                self.message_user(request, "密码已修改。" if usable else "已停用密码登录。")
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedModelAdmin):
    """All grants at a glance (who holds custodian?). A grant is added or revoked, never edited."""

    form = GrantForm
    list_display = ["user", "role", "region", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user", "region", "unit"]
    raw_id_fields = ["user", "region", "unit"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        acting_user = request.user

        class SelfRefusingGrantForm(form):  # type: ignore[valid-type,misc]
            def clean_user(self):
                user = self.cleaned_data["user"]
                try:
                    check_may_grant(acting_user, user)
                except DomainError as exc:
                    raise forms.ValidationError(exc.message) from exc
                return user

        return SelfRefusingGrantForm

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        grant = grant_role(obj.user, obj.role, region=obj.region, unit=obj.unit, by=request.user)
        obj.pk, obj._state = grant.pk, grant._state

    def delete_model(self, request, obj):
        revoke_grant(obj, by=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Tokens are issued by their holder (API login) or at the command line; here they are revoked."""

    list_display = ["user", "name", "created_at", "last_used_at", "expires_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "created_at", "last_used_at", "expires_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        revoke_token(obj, by=request.user)


class OutlineInline(admin.StackedInline):
    model = RegionOutline
    extra = 1
    max_num = 1


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent", "population"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["level"]
    inlines = [OutlineInline]


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "region", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["region", "parent"]
