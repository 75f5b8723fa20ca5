"""The NinjaAPI instance: authentication and the one error format of DESIGN §7."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja import security as ninja_security
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from pingan.accounts.tokens import user_for_token
from pingan.core.errors import DomainError
from pingan.core.validation import field_errors


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(ninja_security.SessionAuth):
    """The browser session, with its CSRF check; a caller with no session at all is answered 401
    (unauthenticated) rather than a CSRF failure that tells him nothing."""

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


api = NinjaAPI(
    title="平安 Pingan API",
    version="1.0",
    description="综治中心案件平台接口。认证：`Authorization: Bearer <token>`；错误格式见各接口说明。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(request, DomainError(code, message, fields=fields).as_dict(), status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return exc.answer(api.create_response(request, exc.as_dict(), status=exc.status))


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return error_response(
        request, 400, "invalid", "提交的内容有误，请检查标出的字段。", field_errors(exc.errors)
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error_response(
        request, 401, "unauthenticated", "未登录或令牌无效，请在请求头中提供有效的 Bearer 令牌。"
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return error_response(request, 400, "malformed_json", "请求体不是合法的 JSON。")
    if exc.status_code == 403:  # ninja's session CSRF check
        return error_response(request, 403, "csrf_failed", "安全校验（CSRF）未通过，请刷新页面后重试。")
    return error_response(request, exc.status_code, "http_error", str(exc))
