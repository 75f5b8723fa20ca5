"""Signals the accounts app sends; the apps that care connect to them (notices tell the auditors)."""

from django.dispatch import Signal

# Sent once, after the transaction commits, when a `custodian` or `admin` role is granted.
# Arguments: grant (the RoleGrant), by (the acting user, or None for the system).
sensitive_role_granted = Signal()
