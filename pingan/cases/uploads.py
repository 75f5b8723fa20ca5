"""Storing attachments: type by content, size cap, random stored names."""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile

from pingan.core.errors import DomainError

from .models import Attachment, Case

# Magic numbers of the formats we accept; the client's claimed type is not trusted.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def sniff(content: bytes) -> str | None:
    for magic, mime in _SIGNATURES:
        if content.startswith(magic):
            return mime
    if content[4:8] == b"ftyp" and content[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    return None


def store_attachment(
    case: Case, user, *, kind: str, name: str, content: bytes, content_type: str
) -> Attachment:
    if kind not in Attachment.Kind.values:
        raise DomainError("invalid", "附件类型无效。", fields={"kind": "可选：evidence、photo、document"})
    if len(content) > settings.PINGAN_MAX_UPLOAD_BYTES:
        limit = settings.PINGAN_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise DomainError("file_too_large", f"文件过大，单个文件不能超过 {limit} MB。", status=413)
    mime = sniff(content)
    if mime is None:
        raise DomainError(
            "unsupported_file",
            "文件格式不支持：只接受 JPEG、PNG、HEIC 图片和 PDF 文件。",
            status=400,
            fields={"file": "文件内容不是 JPEG、PNG、HEIC 或 PDF"},
        )
    att = Attachment(
        case=case,
        kind=kind,
        original_name=(name or "附件")[-200:],
        content_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    att.file.save("upload", ContentFile(content), save=False)
    att.save()
    return att
