"""Files sent with a form, stored as attachments inside the form's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from .. import actions
from ..models import Attachment


class Uploads:
    """Stores uploaded files on a case; if the surrounding transaction fails, their files go too
    (the rows roll back with the transaction, the files on disk would not)."""

    def __init__(self, user):
        self.user = user
        self.stored: list[Attachment] = []

    def store(self, number: str, files, kind: str) -> list[int]:
        ids = []
        for upload in files:
            att = actions.add_attachment(
                self.user,
                number,
                kind=kind,
                name=upload.name or "",
                content=upload.read(),
                content_type=upload.content_type or "",
            )
            self.stored.append(att)
            ids.append(att.pk)
        return ids


@contextmanager
def atomic_with_uploads(user) -> Iterator[Uploads]:
    uploads = Uploads(user)
    try:
        with transaction.atomic():
            yield uploads
    except BaseException:
        for att in uploads.stored:
            att.file.delete(save=False)
        raise
