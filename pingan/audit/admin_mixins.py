"""The one door for writes made in the Django admin: every save and delete leaves an audit entry."""

from django.contrib import admin
from django.db import transaction

from .changes import delete_audited, save_audited


class AuditedModelAdmin(admin.ModelAdmin):
    """Saves and deletes, of the page's object, of its inline rows and of list edits, go through
    `save_audited` / `delete_audited`. An admin whose models have actions of their own (users,
    grants, tokens) overrides the four write methods and calls those actions instead.

    Permissions are not checked here: the admin asks Django's model permissions, which
    `pingan.accounts.backends` derives from roles, before any of these run.
    """

    def save_model(self, request, obj, form, change):
        save_audited(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_audited(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        saved = formset.save(commit=False)
        # Deletions first, so that a row deleted and re-added in one submit meets no unique constraint.
        for obj in formset.deleted_objects:
            self.delete_inline(request, obj)
        for obj in saved:
            self.save_inline(request, obj)
        formset.save_m2m()

    def save_inline(self, request, obj):
        save_audited(obj, by=request.user)

    def delete_inline(self, request, obj):
        delete_audited(obj, by=request.user)
