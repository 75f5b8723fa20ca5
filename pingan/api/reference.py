"""Reference data and identity: me, regions, units, categories, tokens."""

from datetime import datetime

from django.contrib.auth import authenticate
from ninja import Field, Router, Schema, Status

from pingan.accounts import actions as accounts
from pingan.accounts.models import RoleGrant
from pingan.accounts.tokens import token_out, tokens_of
from pingan.accounts.twofactor import check_api_code
from pingan.cases.models import Category
from pingan.core.errors import DomainError, not_found
from pingan.core.validation import RecordId
from pingan.regions.models import Region, Unit, subtree_q

from .schemas import SIGNED_IN, CategoryList, MeOut, Out, RegionList, UnitList, answers

router = Router(tags=["基础数据"])
auth_router = Router(tags=["认证"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = Field(
        None, description="身份验证器上的 6 位验证码：身份保管人、系统管理员和已开启两步验证的用户必填"
    )


class TokenOut(Out):
    token: str
    token_type: str
    expires_at: datetime


class TokenInfo(Out):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    expired: bool


class TokenList(Out):
    items: list[TokenInfo]


@auth_router.post(
    "/token", auth=None, response=answers({200: TokenOut}, 401, 403, 429), summary="用户名密码换取令牌"
)
def issue_token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise DomainError("invalid_credentials", "用户名或密码错误。", status=401)
    check_api_code(user, payload.otp)
    token, clear = accounts.issue_token(user, name="api login", by=user)
    return {"token": clear, "token_type": "Bearer", "expires_at": token.expires_at}


@auth_router.get(
    "/tokens",
    response=answers({200: TokenList}, *SIGNED_IN),
    summary="我的令牌",
    description="不含令牌本身（系统不保存明文）。",
)
def list_tokens(request):
    return {"items": [token_out(t) for t in tokens_of(request.user)]}


@auth_router.delete(
    "/tokens/{token_id}", response=answers({204: None}, *SIGNED_IN, 404), summary="吊销我的令牌"
)
def revoke_token(request, token_id: RecordId):
    # Only the caller's own: another user's token answers as a missing one (404), admins included;
    # they revoke tokens in the admin.
    token = tokens_of(request.user).filter(pk=token_id).first()
    if token is None:
        raise not_found()
    accounts.revoke_token(token, by=request.user)
    return Status(204, None)


@router.get("/me", response=answers({200: MeOut}, *SIGNED_IN), summary="当前用户与授权")
def me(request):
    grants = RoleGrant.objects.filter(user=request.user).select_related("region", "unit")
    return {
        "username": request.user.username,
        "full_name": request.user.full_name,
        "grants": [
            {
                "role": g.role,
                "role_label": g.get_role_display(),
                "region": g.region.code if g.region else None,
                "unit": g.unit.code if g.unit else None,
            }
            for g in grants
        ],
    }


@router.get("/regions", response=answers({200: RegionList}, *SIGNED_IN), summary="区划（按上级查询）")
def regions(request, parent: str | None = None):
    qs = Region.objects.filter(parent_id=parent) if parent else Region.objects.filter(parent__isnull=True)
    return {"items": [{"code": r.code, "name": r.name, "level": r.level} for r in qs]}


@router.get("/units", response=answers({200: UnitList}, *SIGNED_IN), summary="单位（按所在区划查询）")
def units(request, region: str | None = None):
    qs = Unit.objects.filter(active=True).select_related("region")
    if region:
        qs = qs.filter(subtree_q("region", region))
    return {"items": [{"code": u.code, "name": u.name, "kind": u.kind, "region": u.region_id} for u in qs]}


@router.get("/categories", response=answers({200: CategoryList}, *SIGNED_IN), summary="事项分类")
def categories(request, stream: str | None = None):
    qs = Category.objects.filter(active=True).select_related("parent")
    if stream:
        qs = qs.filter(stream=stream)
    return {
        "items": [
            {
                "code": c.code,
                "name": c.name,
                "stream": c.stream,
                "parent": c.parent.code if c.parent else None,
                "evidence_required": c.evidence_required,
            }
            for c in qs
        ]
    }
