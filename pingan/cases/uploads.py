"""Storing attachments: type by content, images re-encoded without metadata, random stored names."""

import hashlib
import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pillow_heif
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps

from pingan.accounts.models import User
from pingan.core.errors import DomainError

from .models import Attachment, Case

pillow_heif.register_heif_opener()

# Magic numbers of the formats we accept; the client's claimed name and type are not trusted.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
# An image is decoded only by the decoder of the type its magic number claims.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF"}


def sniff(content: bytes) -> str | None:
    for magic, mime in _SIGNATURES:
        if content.startswith(magic):
            return mime
    if content[4:8] == b"ftyp" and content[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    return None


def _unsupported() -> DomainError:
    return DomainError(
        "unsupported_file",
        "文件格式不支持：只接受 JPEG、PNG、HEIC 图片和 PDF 文件。",
        status=400,
        fields={"file": "文件内容不是 JPEG、PNG、HEIC 或 PDF"},
    )


def _too_many_pixels() -> DomainError:
    limit = settings.PINGAN_MAX_IMAGE_PIXELS / 10_000
    return DomainError("image_too_large", f"图片像素过多，单张图片不能超过 {limit:g} 万像素。", status=413)


def _decode(content: bytes, mime: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns about images between one and two times its own pixel limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[_PILLOW_FORMATS[mime]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many exception types on malformed input.
        raise _unsupported() from None
    # Image.open has read only the header: refuse a pixel flood before decoding it.
    if image.width * image.height > settings.PINGAN_MAX_IMAGE_PIXELS:
        raise _too_many_pixels()
    try:
        # Decodes the pixels and turns them upright, since the orientation tag goes with the EXIF.
        return ImageOps.exif_transpose(image)
    except Exception:
        raise _unsupported() from None


def _encode(image: Image.Image, mime: str) -> bytes:
    # Only what changes how the picture looks survives; EXIF (GPS, camera), XMP, comments and
    # PNG text chunks are all in info and are dropped with it.
    keep = {key: image.info[key] for key in ("icc_profile", "transparency") if key in image.info}
    image.info = {}
    out = io.BytesIO()
    if mime == "image/png":
        image.save(out, "PNG", **keep)
    else:
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")  # e.g. a HEIC with alpha; JPEG has none
        image.save(out, "JPEG", quality=90, icc_profile=keep.get("icc_profile"))
    return out.getvalue()


def clean_upload(name: str, content: bytes) -> tuple[str, bytes, str]:
    """Check an upload by its content; return (original name, bytes to store, content type)."""
    if len(content) > settings.PINGAN_MAX_UPLOAD_BYTES:
        limit = settings.PINGAN_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise DomainError("file_too_large", f"文件过大，单个文件不能超过 {limit} MB。", status=413)
    mime = sniff(content)
    if mime is None:
        raise _unsupported()
    name = name or "附件"
    if mime == "application/pdf":
        return name[-200:], content, mime
    image = _decode(content, mime)
    if mime == "image/heic":
        # Browsers cannot display HEIC, so staff get the photo as a JPEG.
        mime, name = "image/jpeg", os.path.splitext(name)[0] + ".jpg"
    return name[-200:], _encode(image, mime), mime


def store_attachment(
    case: Case, user: User | None, *, kind: str, name: str, content: bytes, content_type: str
) -> Attachment:
    """Store an upload on a case; user is None for the public portal. The client's content_type
    is ignored: the type comes from the content."""
    if kind not in Attachment.Kind.values:
        raise DomainError("invalid", "附件类型无效。", fields={"kind": "可选：evidence、photo、document"})
    return store_cleaned(case, user, kind, clean_upload(name, content))


def store_cleaned(case: Case, user: User | None, kind: str, cleaned: tuple[str, bytes, str]) -> Attachment:
    """Store what `clean_upload` returned. Lets a caller decode images before it takes locks."""
    original_name, stored, mime = cleaned
    att = Attachment(
        case=case,
        kind=kind,
        original_name=original_name,
        content_type=mime,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        uploaded_by=user,
    )
    att.file.save("upload", ContentFile(stored), save=False)
    att.save()
    return att


@contextmanager
def atomic_files() -> Iterator[list[Attachment]]:
    """A transaction that stores attachments: list each stored one in the yielded list. If the
    transaction fails, their rows roll back and this deletes their files, which would not."""
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for att in stored:
            att.file.delete(save=False)
        raise
