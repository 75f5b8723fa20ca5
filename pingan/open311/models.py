"""What the Open311 adapter keeps of its own: the tokens handed out for submitted requests."""

import secrets

from django.db import models
from django.utils import timezone


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Open311Token(models.Model):
    """GeoReport's `token`: a client may look up the request it submitted by it (`tokens/{token}`).

    It reveals only the case number, which is not secret; it is not the reporter's receipt."""

    token = models.CharField("令牌", max_length=64, unique=True, default=new_token, editable=False)
    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "Open311 令牌"
        verbose_name_plural = "Open311 令牌"

    def __str__(self) -> str:
        return f"Open311 令牌（案件 {self.case_id}）"
