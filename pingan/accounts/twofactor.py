"""Two-step login with a TOTP app (django-otp; DESIGN §8): who needs it, enrolment and checking codes.

Required for `custodian` and `admin`, open to all staff: whoever has confirmed a device is asked for a
code at every login as well. A browser session proves the second step by the device id that
`django_otp.login` keeps in it; an API token is issued only with a code (`check_api_code`).
The writes here are audited like the other account actions: enrolment (`user.otp_enrol`), a reset at
the command line (`user.otp_reset`), each passed (`auth.otp`) and failed (`auth.otp_failed`) code.
"""

import base64
import io

from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingan.audit.changes import ANONYMOUS_ACTOR, actor_name
from pingan.audit.log import record
from pingan.core.errors import DomainError

from .actions import SENSITIVE_ROLES
from .models import User
from .scope import scope_of

DEVICE_NAME = "身份验证器"
ANONYMOUS = ANONYMOUS_ACTOR


def must_use_otp(user: User) -> bool:
    """Holders of these roles may do nothing before the second step, enrolled or not."""
    return scope_of(user).has_role(*SENSITIVE_ROLES)


def has_device(user: User) -> bool:
    return user_has_device(user, confirmed=True)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up; it counts for nothing until a code from it is entered."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it when typed in: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_data_uri(device: TOTPDevice) -> str | None:
    """The otpauth:// link as a QR code in a data: URI (the CSP allows data: images, not inline SVG
    styles); None when segno is not installed, and the page offers the key to type in instead."""
    try:
        import segno
    except ImportError:
        return None
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def code_refused(device: TOTPDevice) -> str | None:
    """Why no code is checked right now: after wrong codes the next try waits 1, 2, 4 … seconds."""
    allowed, _ = device.verify_is_allowed()
    return None if allowed else "验证码错误次数过多，请稍等片刻再试。"


def confirm_enrolment(user: User, device: TOTPDevice, code: str) -> bool:
    """A right code from the new device confirms it and retires any older one; audited."""
    with transaction.atomic():
        locked = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        )
        if locked is None or not locked.verify_token(_digits(code)):
            return False
        device = locked
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        replaced, _ = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        record(
            user.get_username(),
            "user.otp_enrol",
            object_type="accounts.user",
            object_id=str(user.pk),
            data={"username": user.get_username(), "replaced": replaced},
        )
    return True


def verify_code(user: User, code: str, *, channel: str) -> TOTPDevice | None:
    """The device that accepts the code (each code once), or None; both outcomes are audited."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-id").first()
        )
        passed = device is not None and device.verify_token(_digits(code))
        record(
            user.get_username() if passed else ANONYMOUS,
            "auth.otp" if passed else "auth.otp_failed",
            object_type="accounts.user",
            object_id=str(user.pk),
            data={"username": user.get_username(), "channel": channel},
        )
    return device if passed else None


def check_api_code(user: User, code: str | None) -> None:
    """The second step of `POST /api/v1/auth/token`: raises unless the user needs none or gave a
    right `otp`."""
    if not (must_use_otp(user) or has_device(user)):
        return
    device = confirmed_device(user)
    if device is None:
        raise DomainError(
            "otp_not_enrolled",
            "该账号须先开启两步验证：请在网页登录，按提示用手机身份验证器绑定后再申请令牌。",
            status=403,
        )
    if not code:
        raise DomainError(
            "otp_required", "该账号已开启两步验证，请在 otp 字段中填写身份验证器上的 6 位验证码。", status=401
        )
    if refused := code_refused(device):
        raise DomainError("otp_throttled", refused, status=429)
    if verify_code(user, code, channel="api") is None:
        raise DomainError(
            "otp_invalid", "验证码不正确或已使用过，请输入身份验证器上最新的 6 位验证码。", status=401
        )


def reset_devices(user: User, *, by: User | None) -> int:
    """For a lost phone: the user enrols again at the next login. Only the operator does this, at the
    command line (`pingan reset_otp`), since for custodian and admin it undoes the second factor."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        record(
            actor_name(by),
            "user.otp_reset",
            object_type="accounts.user",
            object_id=str(user.pk),
            data={"username": user.get_username(), "devices": removed},
        )
    return removed


def _digits(code: str) -> str:
    """Apps show the code as "123 456"; people type it with the space."""
    return "".join(code.split())
