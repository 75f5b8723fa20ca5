"""Django model permissions derived from Pingan roles, so that the admin asks roles, not is_superuser.

Only the stock ModelBackend signs people in; this backend only answers permission questions. The
permissions are not narrowed to the grant's region: configuration is county-wide.
"""

from django.contrib.auth.backends import BaseBackend

from .scope import scope_of

ADMIN_MODELS = (
    "cases.category",
    "cases.timelimitrule",
    "cases.routingrule",
    "cases.calendarday",
    "cases.retentionpolicy",
    "regions.region",
    "regions.regionoutline",
    "regions.unit",
    "statistics.indicator",
    "accountability.rule",
    "inspections.riskgrade",
    "inspections.checklistitem",
    "inspections.inspectingunit",
    "creation.programme",
    "creation.checklistitem",
    "assessment.scheme",
    "assessment.item",
    "assessment.deduction",
    "assessment.veto",
    "accounts.user",
    "accounts.rolegrant",
    "accounts.apitoken",
)


def _model_permissions(label: str, actions=("add", "change", "delete", "view")) -> set[str]:
    app, model = label.split(".")
    return {f"{app}.{action}_{model}" for action in actions}


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset().union(*(_model_permissions(label) for label in ADMIN_MODELS)),
    "auditor": frozenset({"audit.view_auditentry"}),
}


class RolePermissionBackend(BaseBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        # Object-level questions get no answer here, as with ModelBackend.
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        roles = scope_of(user_obj).roles
        return set().union(*(ROLE_PERMISSIONS.get(role, frozenset()) for role in roles))

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return any(perm.startswith(app_label + ".") for perm in self.get_all_permissions(user_obj))
