"""Audited changes to users, role grants and API tokens (DESIGN §2, §8).

One function per state change: it checks who may make it, then writes the change and its audit entry
in one transaction, and sends signals only after commit. `by` is the acting user; `by=None` is the
system or the operator at the command line. Like `record`, the actions join the caller's transaction
without a savepoint: an error inside one fails the caller's whole transaction, which is what every
caller (an admin page, a request, a command) wants anyway.

Who may do what:
- nobody grants, changes or revokes his own roles;
- other people's accounts, grants and tokens are managed by an `admin` holder, by a superuser (an
  operator's account, which only the command line makes) or by the system;
- everyone may change his own name and password and revoke his own tokens;
- every password set here, by anyone and the system too, passes AUTH_PASSWORD_VALIDATORS;
- a token acts as its holder, so only the holder, or the system, issues one.
"""

from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from pingan.audit.changes import actor_name, as_text
from pingan.audit.log import record, record_many
from pingan.audit.models import AuditEntry
from pingan.core.errors import DomainError, forbidden, invalid, not_found
from pingan.regions.models import Region, Unit

from .models import ApiToken, Role, RoleGrant, User
from .scope import scope_of
from .signals import sensitive_role_granted

SENSITIVE_ROLES = frozenset({Role.CUSTODIAN, Role.ADMIN})
# The Django admin site, and the staff pages' link to it, let in users with is_staff. grant_role and
# revoke_grant keep that flag equal to "is a superuser or holds one of these roles", so that roles
# stay the one source of admin access and the stock AdminSite needs no replacing.
STAFF_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})
OWN_FIELDS = frozenset({"full_name", "first_name", "last_name", "email"})
MANAGED_FIELDS = OWN_FIELDS | {"username", "is_active"}


def is_manager(by: User | None) -> bool:
    return by is None or by.is_superuser or scope_of(by).has_role(Role.ADMIN)


def check_may_grant(by: User | None, user: User) -> None:
    """Raises unless `by` may grant or revoke `user`'s roles; the admin's forms ask it before saving."""
    if by is not None and by.pk == user.pk:
        raise DomainError(
            "self_grant", "不能给自己授予、变更或撤销角色，请由其他系统管理员办理。", status=403
        )
    _check_manager(by)


def grant_role(
    user: User, role: str, *, region: Region | None = None, unit: Unit | None = None, by: User | None
) -> RoleGrant:
    check_may_grant(by, user)
    if role not in Role.values:
        raise invalid({"role": "没有这个角色。"})
    if (region is None) == (unit is None):
        raise invalid({"region": "授权范围须是一个区划或一个单位，二者选一。"})
    with transaction.atomic(savepoint=False):
        locked = _lock(user)
        if RoleGrant.objects.filter(user=user, role=role, region=region, unit=unit).exists():
            raise DomainError("grant_exists", "该用户已有这项授权。", status=409)
        grant = RoleGrant.objects.create(user=user, role=role, region=region, unit=unit)
        if role in STAFF_ROLES:
            _set_staff(locked, user, True)
        _record_grant(by, "role.grant", grant)
        if role in SENSITIVE_ROLES:
            transaction.on_commit(partial(sensitive_role_granted.send, sender=RoleGrant, grant=grant, by=by))
    return grant


def revoke_grant(grant: RoleGrant, *, by: User | None) -> None:
    current = RoleGrant.objects.select_related("user", "unit").filter(pk=grant.pk).first()
    if current is None:
        raise not_found()
    check_may_grant(by, current.user)
    with transaction.atomic(savepoint=False):
        locked = _lock(current.user)
        deleted, _ = RoleGrant.objects.filter(pk=current.pk).delete()
        if not deleted:
            raise not_found()
        _set_staff(locked, current.user, _holds(locked, STAFF_ROLES))
        _record_grant(by, "role.revoke", current)


def create_user(
    *, username: str, password: str | None, by: User | None, full_name: str = "", email: str = ""
) -> User:
    """A user without roles; `password=None` makes one who cannot sign in with a password."""
    _check_manager(by)
    if password is not None:
        _validate_password(password, User(username=username, full_name=full_name, email=email))
    with transaction.atomic(savepoint=False):
        if User.objects.filter(username=username).exists():
            raise _username_taken()
        user = User.objects.create_user(username, email, password, full_name=full_name)
        data = {
            "username": username,
            "full_name": full_name,
            "email": email,
            "password": password is not None,
        }
        _record_user(by, "user.create", user, data)
    return user


@dataclass
class NewAccount:
    """A user to create with their grants, each (role, region, unit) with one of region or unit."""

    username: str
    password: str | None
    full_name: str = ""
    grants: list[tuple[str, Region | None, Unit | None]] = field(default_factory=list)


def create_accounts(accounts: list[NewAccount], *, by: User | None) -> list[User]:
    """The bulk form of `create_user` and `grant_role`, for seeding a county's staff: the same checks,
    rows and audit entries (chained in one go), in a handful of queries instead of a dozen per user."""
    _check_manager(by)
    for a in accounts:
        if a.password is not None:
            _validate_password(a.password, User(username=a.username, full_name=a.full_name))
        if any(
            role not in Role.values or (region is None) == (unit is None) for role, region, unit in a.grants
        ):
            raise invalid({"grants": f"{a.username} 的授权有误：角色须存在，范围须是一个区划或一个单位。"})
    with transaction.atomic(savepoint=False):
        if User.objects.filter(username__in=[a.username for a in accounts]).exists():
            raise _username_taken()
        users = [_new_user(a) for a in accounts]
        User.objects.bulk_create(users)
        grants = [
            RoleGrant(user=user, role=role, region=region, unit=unit)
            for user, a in zip(users, accounts, strict=True)
            for role, region, unit in a.grants
        ]
        RoleGrant.objects.bulk_create(grants)
        entries = []
        for user, a in zip(users, accounts, strict=True):
            data = {
                "username": a.username,
                "full_name": a.full_name,
                "email": "",
                "password": a.password is not None,
            }
            entries.append(_entry(by, "user.create", "accounts.user", user.pk, data))
            entries += [
                _entry(by, "role.grant", "accounts.rolegrant", g.pk, _grant_data(g))
                for g in grants
                if g.user is user
            ]
        record_many(entries)
        for grant in grants:
            if grant.role in SENSITIVE_ROLES:
                transaction.on_commit(
                    partial(sensitive_role_granted.send, sender=RoleGrant, grant=grant, by=by)
                )
    return users


def _new_user(a: NewAccount) -> User:
    user = User(
        username=a.username, full_name=a.full_name, is_staff=any(r in STAFF_ROLES for r, _, _ in a.grants)
    )
    if a.password is None:
        user.set_unusable_password()
    else:
        user.set_password(a.password)
    return user


def _entry(by: User | None, action: str, object_type: str, pk: object, data: dict) -> AuditEntry:
    return AuditEntry(
        actor=actor_name(by), action=action, object_type=object_type, object_id=str(pk), data=data
    )


def change_user(user: User, *, by: User | None, **changes) -> User:
    """Change account fields; the audit entry holds each changed field's old and new value."""
    unknown = set(changes) - MANAGED_FIELDS
    if unknown:
        raise invalid({name: "这一项不能在这里修改。" for name in sorted(unknown)})
    _check_account(by, user, own_allowed=set(changes) <= OWN_FIELDS)
    with transaction.atomic(savepoint=False):
        current = User.objects.select_for_update().get(pk=user.pk)
        diff = {
            name: {"old": as_text(getattr(current, name)), "new": as_text(value)}
            for name, value in changes.items()
            if getattr(current, name) != value
        }
        if "username" in diff and User.objects.filter(username=changes["username"]).exists():
            raise _username_taken()
        if diff:
            for name in diff:
                setattr(current, name, changes[name])
            current.save(update_fields=list(diff))
            _record_user(by, "user.change", current, {"username": current.username, "changes": diff})
    for name, value in changes.items():
        setattr(user, name, value)
    return current


def set_password(user: User, password: str | None, *, by: User | None) -> None:
    """Set (or, with None, disable) a password. The user's API tokens die with the old password."""
    _check_account(by, user, own_allowed=True)
    if by is not None and by.pk != user.pk and _holds(user, SENSITIVE_ROLES):
        # Otherwise an admin could take over a custodian's account without the notice a grant sends.
        raise forbidden(
            "持有系统管理员或身份保管人角色的用户，密码只能由本人修改，或由运维人员在命令行重置。"
        )
    if password is not None:
        _validate_password(password, user)
    with transaction.atomic(savepoint=False):
        current = User.objects.select_for_update().get(pk=user.pk)
        if password is None:
            current.set_unusable_password()
        else:
            current.set_password(password)
        current.save(update_fields=["password"])
        revoked, _ = ApiToken.objects.filter(user=current).delete()
        data = {"username": current.username, "password": password is not None, "tokens_revoked": revoked}
        _record_user(by, "user.password", current, data)
    user.password = current.password


def deactivate_user(user: User, *, by: User | None) -> None:
    """The user can no longer sign in or use a token; grants and history stay for the record."""
    _check_account(by, user, own_allowed=False)
    with transaction.atomic(savepoint=False):
        if User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
            _record_user(by, "user.deactivate", user, {"username": user.username})
    user.is_active = False


def issue_token(user: User, *, by: User | None, name: str = "") -> tuple[ApiToken, str]:
    """A new API token; the clear token is returned once and never stored or logged."""
    if by is not None and by.pk != user.pk:
        raise forbidden(
            "令牌代表其持有人，只能为自己生成。为其他用户生成请在命令行运行 pingan create_token。"
        )
    if not user.is_active:
        raise DomainError("user_inactive", "该用户已停用，不能生成令牌。", status=409)
    with transaction.atomic(savepoint=False):
        token, clear = ApiToken.issue(user, name=name)
        _record_token(by, "token.issue", token, expires_at=as_text(token.expires_at))
    return token, clear


def revoke_token(token: ApiToken, *, by: User | None) -> None:
    current = ApiToken.objects.select_related("user").filter(pk=token.pk).first()
    # Someone else's token answers as a missing one: its existence is not theirs to learn.
    if current is None or not (is_manager(by) or (by is not None and by.pk == current.user_id)):
        raise not_found()
    with transaction.atomic(savepoint=False):
        if not ApiToken.objects.filter(pk=current.pk).delete()[0]:
            raise not_found()
        _record_token(by, "token.revoke", current)


def _check_manager(by: User | None) -> None:
    if not is_manager(by):
        raise forbidden("只有系统管理员可以管理其他用户的账号、授权和令牌。")


def _check_account(by: User | None, user: User, *, own_allowed: bool) -> None:
    if by is not None and by.pk == user.pk:
        if not own_allowed:
            raise DomainError(
                "self_change", "不能对自己的账号做这项修改，请由其他系统管理员办理。", status=403
            )
        return
    _check_manager(by)
    if user.is_superuser and by is not None and not by.is_superuser:
        raise forbidden("超级用户的账号只能由运维人员在命令行管理。")


def _holds(user: User, roles: frozenset[str]) -> bool:
    return user.is_superuser or RoleGrant.objects.filter(user=user, role__in=roles).exists()


def _lock(user: User) -> User:
    """Serialises the grant changes of one user, so that concurrent ones leave is_staff right."""
    return User.objects.select_for_update().only("pk", "is_staff", "is_superuser").get(pk=user.pk)


def _set_staff(locked: User, user: User, staff: bool) -> None:
    if staff != locked.is_staff:
        User.objects.filter(pk=locked.pk).update(is_staff=staff)
    user.is_staff = staff


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise invalid({"password": " ".join(exc.messages)}) from exc


def _username_taken() -> DomainError:
    return DomainError("username_taken", "该用户名已被使用。", status=409)


def _grant_data(grant: RoleGrant) -> dict:
    return {
        "user": grant.user.username,
        "role": grant.role,
        "region": grant.region_id,
        "unit": grant.unit.code if grant.unit else None,
    }


def _record_grant(by: User | None, action: str, grant: RoleGrant) -> None:
    record(
        actor_name(by),
        action,
        object_type="accounts.rolegrant",
        object_id=str(grant.pk),
        data=_grant_data(grant),
    )


def _record_token(by: User | None, action: str, token: ApiToken, **extra) -> None:
    data = {"user": token.user.username, "name": token.name, **extra}
    record(actor_name(by), action, object_type="accounts.apitoken", object_id=str(token.pk), data=data)


def _record_user(by: User | None, action: str, user: User, data: dict) -> None:
    record(actor_name(by), action, object_type="accounts.user", object_id=str(user.pk), data=data)
