"""The one input-cleaning point (DESIGN §8): every request passes here before anything reads it.

- A body larger than PINGAN_MAX_BODY_BYTES is refused from its Content-Length, before a byte of it is
  read (413), and each uploaded file is cut off as soon as it passes PINGAN_MAX_UPLOAD_BYTES.
- NUL anywhere in the path, the query or a text field is refused (400): PostgreSQL cannot store it.
- JSON nested deeper than MAX_DEPTH is refused (400) before a parser recurses into it.
- Text keeps what people type and loses what they cannot see: other control characters, bidi
  overrides and zero-width characters are removed, so "‮abc" is stored as "abc" and a title of zero-width
  spaces alone is empty (and then refused as empty by the schema). Passwords are only checked for NUL.

Errors are answered in the format of the part of the site that was asked: JSON (DESIGN §7) under
/api/, the renderer named in PINGAN_INPUT_ERROR_RENDERERS for other machine paths (Open311), and the
error page elsewhere.
"""

import json
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.module_loading import import_string

from .errors import DomainError

MAX_DEPTH = 32
NUL = "\x00"
# Removed from text: C0/C1 controls except tab and line breaks, bidi embeddings, overrides, isolates and
# marks, and zero-width spaces and joiners that carry nothing visible on their own.
_INVISIBLE = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def clean_text(value: str) -> str:
    """Text as stored: invisible and direction-changing characters removed. NUL is refused earlier."""
    cleaned = _INVISIBLE.sub("", value)
    if cleaned and all(unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp") for ch in cleaned):
        return ""
    return cleaned


def body_too_large(limit: int) -> DomainError:
    return DomainError(
        "body_too_large", f"提交的内容过大，单次提交不能超过 {limit // (1024 * 1024)} MB。", status=413
    )


def _nul_refused() -> DomainError:
    return DomainError("invalid_characters", "提交的内容含有不允许的控制字符（NUL），请删除后重试。")


def _too_deep() -> DomainError:
    return DomainError("too_deep", f"请求体嵌套层级过深（最多 {MAX_DEPTH} 层）。")


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to disk and stops it at the per-file limit, whatever the client claims."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        limit = settings.PINGAN_MAX_UPLOAD_BYTES
        if start + len(raw_data) > limit:
            self.file.close()
            raise DomainError(
                "file_too_large", f"文件过大，单个文件不能超过 {limit // (1024 * 1024)} MB。", status=413
            )
        return super().receive_data_chunk(raw_data, start)


class InputGuard:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            self._check(request)
        except DomainError as error:
            return self._answer(request, error)
        except RequestDataTooBig:
            return self._answer(request, body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        except TooManyFieldsSent:
            return self._answer(request, DomainError("too_many_fields", "提交的字段过多。"))
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        limit = settings.PINGAN_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise body_too_large(limit)
        if (
            NUL in request.path
            or NUL in request.META.get("QUERY_STRING", "")
            or "%00" in request.META.get("QUERY_STRING", "")
        ):
            raise _nul_refused()
        request.GET = _cleaned(request.GET)  # type: ignore[assignment]
        if request.method in ("GET", "HEAD", "OPTIONS") or not length:
            return
        content_type = request.content_type or ""
        if content_type == "application/json":
            request._body = _cleaned_json(request.body)  # type: ignore[attr-defined]
        elif content_type in _TEXT_TYPES:
            request.POST = _cleaned(request.POST)  # type: ignore[assignment]

    def _answer(self, request: HttpRequest, error: DomainError):
        path = request.path
        if path.startswith("/api/"):
            return error.answer(JsonResponse(error.as_dict(), json_dumps_params={"ensure_ascii": False}))
        for prefix, renderer in settings.PINGAN_INPUT_ERROR_RENDERERS.items():
            if path.startswith(prefix):
                return import_string(renderer)(request, error)
        return error.answer(render(request, "pingan/error.html", {"error": error}))


def _cleaned(query: QueryDict) -> QueryDict:
    out = QueryDict(mutable=True)
    for key, values in query.lists():
        if NUL in key or any(NUL in v for v in values):
            raise _nul_refused()
        out.setlist(key, values if "password" in key else [clean_text(v) for v in values])
    out._mutable = False
    return out


def _cleaned_json(raw: bytes) -> bytes:
    try:
        data = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        return raw  # not JSON: the API answers `malformed_json` itself
    return json.dumps(_walk(data, 0), ensure_ascii=False).encode()


def _walk(value: Any, depth: int, key: str = "") -> Any:
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, str):
        if NUL in value:
            raise _nul_refused()
        return value if "password" in key else clean_text(value)
    if isinstance(value, dict):
        return {_walk(k, depth + 1): _walk(v, depth + 1, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, depth + 1) for v in value]
    return value
