"""What the API keeps of its own: the answers to creation requests sent with an Idempotency-Key."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=128)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    # What the first request made (a case number) and its answer, stored in the same transaction (the
    # answer is built from the new case without a query); NULL once the case is purged.
    resource = models.CharField(max_length=64, blank=True)
    response = models.JSONField(encoder=DjangoJSONEncoder, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]
        indexes = [models.Index(fields=["resource"], name="idempotency_resource")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
