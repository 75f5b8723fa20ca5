"""Sign-in pages of the accounts app: the lockout answer and the second login step (TOTP)."""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

from .middleware import OTP_ENROLLED
from .twofactor import (
    code_refused,
    confirm_enrolment,
    confirmed_device,
    enrolment_device,
    has_device,
    must_use_otp,
    qr_data_uri,
    secret_of,
    verify_code,
)

WRONG_CODE = "验证码不正确或已使用过，请输入身份验证器上最新的 6 位数字。"


def locked_out(request, response=None, credentials=None):
    """django-axes calls this for a locked account: a Chinese page, or the API's error shape."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if getattr(request, "client_locked", False):
        message = f"此网络地址登录失败次数过多，已暂停从这里登录，请 {minutes} 分钟后再试或联系系统管理员。"
    else:
        message = f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试或联系系统管理员。"
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


@never_cache
@login_required
def otp_verify(request):
    """The second login step: the 6-digit code of the user's authenticator app."""
    if request.user.is_verified():
        return redirect(_next(request))
    device = confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        error = code_refused(device)
        if error is None:
            passed = verify_code(request.user, request.POST.get("code", ""), channel="web")
            if passed is not None:
                _second_step_done(request, passed)
                return redirect(_next(request))
            error = WRONG_CODE
    context = {"error": error, "next": _next(request)}
    return render(request, "registration/otp_verify.html", context, status=400 if error else 200)


@never_cache  # the page shows the key
@login_required
def otp_setup(request):
    """Binding an authenticator app: scan the QR code (or type the key), then enter a code from it."""
    user = request.user
    if has_device(user) and not user.is_verified():
        # Replacing the device takes the device: a password alone must not swap the second factor.
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    device = enrolment_device(user)
    error = None
    if request.method == "POST":
        error = code_refused(device)
        if error is None and confirm_enrolment(user, device, request.POST.get("code", "")):
            _second_step_done(request, device)
            request.session[OTP_ENROLLED] = True
            messages.success(
                request, "两步验证已开启。以后每次登录，输入密码后还要输入身份验证器上的验证码。"
            )
            return redirect(_next(request))
        error = error or WRONG_CODE
    context = {
        "error": error,
        "next": _next(request),
        "enrolled": has_device(user),
        "required": must_use_otp(user),
        "qr": qr_data_uri(device),
        "secret": secret_of(device),
        "uri": device.config_url,
    }
    return render(request, "registration/otp_setup.html", context, status=400 if error else 200)


def _second_step_done(request: HttpRequest, device) -> None:
    # A new session key with the higher privilege, as at the password step (session fixation).
    request.session.cycle_key()
    django_otp.login(request, device)


def _next(request: HttpRequest) -> str:
    """Where to go after the step: the page first asked for, if it is one of ours."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else reverse("home")
