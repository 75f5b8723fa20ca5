"""Audited writes of configuration rows: categories, rules, the calendar, regions, units…

The admin saves and deletes such rows only through these two functions, so that each change leaves
its entry in the audit chain in the same transaction. Models with actions of their own (users,
grants, tokens, cases) go through those actions instead.
"""

from typing import Any

from django.db import models, transaction

from .log import record

SYSTEM_ACTOR = "system"
PUBLIC_ACTOR = "public"  # the anonymous public: portal, Open311, receipt holders
ANONYMOUS_ACTOR = "anonymous"  # someone not signed in: a failed login, a lockout


def actor_name(by) -> str:
    """The audit actor: the acting user's name, or the system (a command, a job, the operator)."""
    return SYSTEM_ACTOR if by is None else by.get_username()


def as_text(value: Any) -> str | None:
    """A field value as the audit log keeps it: a string the JSON of the chain holds exactly."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def object_key(obj: models.Model) -> str:
    """The natural code when the model has one (category, region, unit), else the primary key."""
    return str(getattr(obj, "code", "") or obj.pk)


def _values(obj: models.Model) -> dict[str, str | None]:
    # value_from_object gives a foreign key's raw id, never a query for the related row.
    return {f.name: as_text(f.value_from_object(obj)) for f in obj._meta.concrete_fields}


def save_audited(obj: models.Model, *, by) -> models.Model:
    """Save `obj` and record `config.create`, or `config.change` with every field that changed.

    The old values are read from the locked row rather than taken from a form's list of changed
    fields: a model's own save() may change more (a region's level, a unit's path), and the log
    must show what the database ended up holding.
    """
    model = type(obj)
    with transaction.atomic(savepoint=False):
        old = None
        if not obj._state.adding:
            old = model._base_manager.select_for_update().filter(pk=obj.pk).first()
        obj.save()
        new_values = _values(obj)
        if old is None:
            changes = {k: {"old": None, "new": v} for k, v in new_values.items() if v not in (None, "")}
            action = "config.create"
        else:
            old_values = _values(old)
            changes = {
                k: {"old": old_values[k], "new": v} for k, v in new_values.items() if old_values[k] != v
            }
            action = "config.change"
        # Saving an unchanged form writes nothing new, so there is nothing to record.
        if changes:
            _record(by, action, obj, {"object": str(obj), "changes": changes})
    return obj


def delete_audited(obj: models.Model, *, by) -> None:
    """Delete `obj` and record `config.delete` with its last values and what the delete cascaded to."""
    with transaction.atomic(savepoint=False):
        label, key, text, values = obj._meta.label_lower, object_key(obj), str(obj), _values(obj)
        _, deleted = obj.delete()
        record(
            actor_name(by),
            "config.delete",
            object_type=label,
            object_id=key,
            data={"object": text, "values": values, "deleted": deleted},
        )


def _record(by, action: str, obj: models.Model, data: dict) -> None:
    record(actor_name(by), action, object_type=obj._meta.label_lower, object_id=object_key(obj), data=data)
