"""Open311 GeoReport v2 (DESIGN §7): thin views over the catalogue and the portal's submit action.

Every endpoint answers in the format its path ends with (`.json` or `.xml`); errors are the spec's
error list with 400, 403 (api_key) or 404. A DomainError never reaches the HTML error pages.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from pingan.accounts.models import User
from pingan.accounts.tokens import user_for_token
from pingan.core.errors import DomainError, not_found
from pingan.portal.public import county_region
from pingan.regions.models import Region

from . import service_requests as sr
from .formats import DEFAULT_FORMAT, FORMATS, render, render_error
from .models import Open311Token
from .services import active_services, definition_out, service_for, service_out

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"  # move forward whenever the endpoints or formats change
KEY_SERVICE = (
    "api_key 即本平台用户的 API 令牌：由管理员为接入单位开通账号后，运行 `pingan create_token 用户名` "
    "签发。提交事项（POST requests）必须提供；查询时提供则可看到该账号权限内的事项内容与位置。"
)


def _county() -> Region | None:
    """The county this platform serves, as the portal finds it; None before regions are set up."""
    try:
        return county_region()
    except DomainError:
        return None


def _check_jurisdiction(request: HttpRequest) -> None:
    """One endpoint serves one county, so `jurisdiction_id` is optional; if given it must be ours."""
    given = (request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    county = _county() if given else None
    if given and (county is None or given != county.code):
        raise DomainError(
            "jurisdiction_not_found", f"jurisdiction_id {given} 不是本平台服务的区划。", status=404
        )


def _api_user(request: HttpRequest) -> User | None:
    """The user behind `api_key` (a POST field or query parameter; a Bearer header also works),
    None without one; a key that matches no active user is refused rather than ignored."""
    key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    header = request.headers.get("Authorization", "")
    if not key.strip() and header.startswith("Bearer "):
        key = header.removeprefix("Bearer ")
    if not key.strip():
        return None
    user = user_for_token(key.strip())
    if user is None:
        raise DomainError("api_key_invalid", "api_key 无效或对应账号已停用。", status=403)
    return user


def _submitter(request: HttpRequest) -> User:
    user = _api_user(request)
    if user is None:
        raise DomainError("api_key_missing", "提交事项须提供 api_key。", status=403)
    return user


def endpoint(*methods: str) -> Callable:
    """Checks the format, the method and `jurisdiction_id`, and turns a DomainError into the error list."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def answer(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            if fmt not in FORMATS:
                return render_error(DEFAULT_FORMAT, not_found("不支持的格式，请以 .json 或 .xml 结尾。"))
            if request.method not in methods:
                error = DomainError(
                    "method_not_allowed", f"该地址只接受 {'、'.join(methods)} 请求。", status=405
                )
                response = render_error(fmt, error)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except DomainError as exc:
                return render_error(fmt, exc)

        return answer

    return wrap


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    county = _county()
    body = {
        "changeset": CHANGESET,
        "contact": f"{county.name}综治中心" if county else "综治中心",
        "key_service": KEY_SERVICE,
        # Not in the discovery spec: the one jurisdiction_id this endpoint accepts (optional).
        "jurisdiction_id": county.code if county else None,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("./"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": [FORMATS["xml"].split(";")[0], FORMATS["json"].split(";")[0]],
            }
        ],
    }
    return render(fmt, "discovery", body)


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", [service_out(c) for c in active_services()])


@endpoint("GET")
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    return render(fmt, "service_definition", definition_out(service_for(service_code)))


@csrf_exempt  # a form POST from another system, authenticated by its api_key, not by a session
@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        case, token, receipt = sr.submit_request(_submitter(request), request.POST)
        return render(fmt, "service_requests", [sr.submitted_out(case, token, receipt)], status=201)
    user = _api_user(request)
    cases = sr.filter_requests(sr.readable_cases(user), request.GET, timezone.now())
    return render(fmt, "service_requests", [sr.request_out(c, keyed=bool(user)) for c in sr.newest(cases)])


@endpoint("GET")
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    user = _api_user(request)
    case = sr.readable_cases(user).filter(number=service_request_id).first()
    if case is None:
        raise not_found(f"服务请求 {service_request_id} 不存在，或您无权查看。")
    return render(fmt, "service_requests", [sr.request_out(case, keyed=bool(user))])


@endpoint("GET")
def token_lookup(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    row = Open311Token.objects.select_related("case").filter(token=token).first()
    if row is None:
        raise not_found("该 token 不存在。")
    return render(fmt, "service_requests", [{"service_request_id": row.case.number, "token": row.token}])
