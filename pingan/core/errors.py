"""Errors as values: a stable machine code, a Chinese message and the HTTP status.

The API and the UI render the same objects (DESIGN §7).
"""

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.fields = fields or {}
        self.headers = headers or {}  # e.g. Retry-After on a 429

    def answer(self, response, status: int | None = None):
        """The response that renders this error, with its status and headers (Retry-After…)."""
        response.status_code = status or self.status
        for name, value in self.headers.items():
            response[name] = value
        return response

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


def not_found(message: str = "未找到该记录，或您无权查看。") -> DomainError:
    # Same answer for "missing" and "out of scope": existence must not leak.
    return DomainError("not_found", message, status=404)


def forbidden(message: str) -> DomainError:
    return DomainError("forbidden", message, status=403)


def invalid_transition(message: str) -> DomainError:
    return DomainError("invalid_transition", message, status=409)


def invalid(fields: dict[str, str], message: str = "提交的内容有误，请检查标出的字段。") -> DomainError:
    return DomainError("invalid", message, status=400, fields=fields)
