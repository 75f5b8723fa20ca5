"""What every request of a signed-in browser passes (DESIGN §8): the session limits, then the second
login step for those who need it."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .twofactor import must_use_otp

SIGNED_IN_AT = "pingan_signed_in_at"
SEEN_AT = "pingan_seen_at"
# Set at sign-in and on enrolment: this user has a device, so asks for a code even without the roles.
OTP_ENROLLED = "pingan_otp_enrolled"
# How stale the idle stamp may get: saving the session on every request would cost a write per read.
TOUCH_SECONDS = 60
# Reachable while the second step is pending (each view checks for itself what it allows).
OTP_OPEN_URLS = ("otp_verify", "otp_setup", "logout")


def start_session(request: HttpRequest, *, enrolled: bool) -> None:
    """At sign-in: the stamps both limits count from, and whether a code will be asked for."""
    now = time.time()
    request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = now
    request.session[OTP_ENROLLED] = enrolled


class SessionLimits:
    """Signs a session out PINGAN_SESSION_HOURS after sign-in and after PINGAN_SESSION_IDLE_MINUTES
    without a request. A session from before these stamps existed is signed out once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = time.time()
            hours, idle = settings.PINGAN_SESSION_HOURS, settings.PINGAN_SESSION_IDLE_MINUTES
            if now - session.get(SIGNED_IN_AT, 0) > hours * 3600:
                self.sign_out(request, f"登录已满 {hours:g} 小时，为安全起见已自动退出，请重新登录。")
            elif now - session.get(SEEN_AT, 0) > idle * 60:
                self.sign_out(request, f"已有 {idle:g} 分钟没有操作，为安全起见已自动退出，请重新登录。")
            elif now - session[SEEN_AT] > TOUCH_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def sign_out(request, message: str) -> None:
        logout(request)
        # The request goes on signed out: a page sends the user to the login page, which shows this;
        # an API call answers 401.
        if not request.path.startswith("/api/"):
            messages.info(request, message)


def otp_pending(request: HttpRequest) -> bool:
    """Signed in with the password but not yet with a code, and one is needed."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_verified():
        return False
    return bool(request.session.get(OTP_ENROLLED)) or must_use_otp(user)


class TwoFactorRequired:
    """Until the second step is done, every page leads to it and the API answers 401; the admin too."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.open_paths: tuple[str, ...] | None = None

    def __call__(self, request):
        request.pingan_otp_pending = pending = otp_pending(request)
        if pending and not self.is_open(request.path):
            if request.path.startswith("/api/"):
                error = {
                    "code": "otp_required",
                    "message": "请先在网页上完成两步验证（输入身份验证器上的验证码）。",
                }
                return JsonResponse({"error": error}, status=401)
            return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def is_open(self, path: str) -> bool:
        if self.open_paths is None:
            self.open_paths = tuple(reverse(name) for name in OTP_OPEN_URLS)
        # Static files never get here: WhiteNoise answers them before the session is read.
        return path in self.open_paths
