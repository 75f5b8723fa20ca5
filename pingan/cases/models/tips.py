"""Tips (举报线索): the units and users a tip is kept from (回避, DESIGN §8)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .case import Case


class TipExclusion(models.Model):
    """A unit or a user named in a tip as involved: they must not see it (回避)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exclusions")
    unit = models.ForeignKey("regions.Unit", null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = "回避"
        verbose_name_plural = "回避"
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, user__isnull=True) | Q(unit__isnull=True, user__isnull=False),
                name="exclusion_unit_xor_user",
            )
        ]

    def __str__(self) -> str:
        return f"回避（案件 {self.case_id}）"
