"""Idempotency-Key on case creation (DESIGN §7): the same key and body replay the first answer; the same
key with another body is refused. What the first request made, and the answer it got, are recorded in its
transaction: a case acknowledged is a case kept, and its replay answers the same."""

import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from pingan.cases.models import Case
from pingan.core.errors import DomainError, invalid

from .models import IdempotencyRecord

MAX_KEY = 128


def _canonical(body: bytes) -> str:
    try:
        return hashlib.sha256(json.dumps(json.loads(body), sort_keys=True).encode()).hexdigest()
    except ValueError:
        return hashlib.sha256(body).hexdigest()


def create_once(
    request,
    key: str,
    create: Callable[[], Case],
    answer: Callable[[Case], dict],
    rebuild: Callable[[str], dict],
) -> tuple[int, dict]:
    """(status, body) of the creation request carrying `key`: made now by `create`, or replayed.
    `answer(case)` builds the body from the case just made, without a query, so that it is stored in the
    same transaction as the case; `rebuild(number)` builds it again for a replay whose stored body was
    dropped (the case was purged)."""
    if len(key) > MAX_KEY:
        raise invalid({"Idempotency-Key": f"不能超过 {MAX_KEY} 个字符"})
    body_hash = _canonical(request.body)
    previous = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if previous is None:
        try:
            with transaction.atomic():
                case = create()
                # As the database will hold it, so that the first answer and every replay read the same.
                body = json.loads(json.dumps(answer(case), cls=DjangoJSONEncoder))
                IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    body_hash=body_hash,
                    status_code=201,
                    resource=case.number,
                    response=body,
                )
        except IntegrityError:
            # The same key raced us and won; its case stands and ours was rolled back.
            previous = IdempotencyRecord.objects.get(user=request.user, key=key)
        else:
            return 201, body
    if previous.body_hash != body_hash:
        raise DomainError(
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于内容不同的请求。",
            status=422,
            fields={"Idempotency-Key": "请为新的请求使用新的键"},
        )
    return previous.status_code, previous.response or rebuild(previous.resource)


def forget_purged(sender, case: Case, **kwargs) -> None:
    """A stored answer quotes the case as it was; once it is purged, a replay answers with the tombstone."""
    IdempotencyRecord.objects.filter(resource=case.number, response__isnull=False).update(response=None)
