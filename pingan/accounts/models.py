"""Users, their role grants on regions or units, and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    DISPATCHER = "dispatcher", "受理分派员"
    HANDLER = "handler", "承办人"
    UNIT_HEAD = "unit_head", "单位负责人"
    GRID_WORKER = "grid_worker", "网格员"
    SUPERVISOR = "supervisor", "督办核查员"
    LEADER = "leader", "领导"
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计员"
    CUSTODIAN = "custodian", "身份保管人"


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=32, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleGrant(models.Model):
    """A role held on a region (covering its subtree) or on a unit (covering its sub-units)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区划", null=True, blank=True, on_delete=models.PROTECT
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=False, unit__isnull=True)
                | Q(region__isnull=True, unit__isnull=False),
                name="grant_on_region_or_unit",
            ),
            models.UniqueConstraint(fields=["user", "role", "region", "unit"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region or self.unit}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the clear token is shown once. It stops working at
    `expires_at` (PINGAN_TOKEN_DAYS after issue), when revoked (the row is deleted), and when its
    holder's password changes (every token of the holder is deleted)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField("用途", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    expires_at = models.DateTimeField("到期时间")

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.user} · {self.name or self.pk}"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        token = "pa_" + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=settings.PINGAN_TOKEN_DAYS)
        return cls.objects.create(
            user=user, key_hash=hash_token(token), name=name, expires_at=expires_at
        ), token

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SavedFilter(models.Model):
    """A ledger filter a user named and keeps (台账常用筛选)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField("名称", max_length=40)
    query = models.CharField("筛选条件", max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "常用筛选"
        verbose_name_plural = "常用筛选"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_unique")]

    def __str__(self) -> str:
        return self.name
