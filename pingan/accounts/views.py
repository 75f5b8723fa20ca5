"""Sign-in pages of the accounts app."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


def locked_out(request, response=None, credentials=None):
    """django-axes calls this for a locked account: a Chinese page, or the API's error shape."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = f"登录失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试或联系系统管理员。"
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
