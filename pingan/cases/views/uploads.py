"""Files sent with a form, stored as attachments inside the form's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from .. import actions
from ..models import Attachment
from ..uploads import atomic_files


class Uploads:
    """Stores uploaded files on a case, listing them so that a failed transaction deletes them."""

    def __init__(self, user, stored: list[Attachment]):
        self.user = user
        self.stored = stored

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
    with atomic_files() as stored:
        yield Uploads(user, stored)
