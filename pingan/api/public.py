"""The public endpoints (DESIGN §7): no login; a receipt travels only in a request body."""

from ninja import Router, Status

from pingan.portal import public
from pingan.portal import schemas as s

from .schemas import PublicView, ReceiptOut, answers

router = Router(tags=["群众端（无需登录）"], auth=None)


@router.post(
    "/reports",
    response=answers({201: ReceiptOut}, 429),
    summary="群众反映（可匿名）",
    description="返回查询码 `receipt`，只显示这一次；系统只保存它的加密摘要，遗失后无法找回。",
)
def submit(request, payload: s.PublicReportIn):
    public.guard_submission(request)
    _, code = public.submit_report(payload)
    return Status(201, {"receipt": code})


@router.post(
    "/reports/lookup",
    response=answers({200: PublicView}, 404, 429),
    exclude_unset=True,
    by_alias=True,
    summary="凭查询码查看办理状态和答复",
    description=(
        "事项办结（含不予受理）后另有 `result`：`outcome`（办理结果代码，不予受理为 `rejected`）、"
        "`outcome_label`、`summary`（当场答复或办理情况，当事人个人信息已遮盖）、`finished_at`，"
        "不予受理时还有 `advice`（告知的正确渠道）。已合并的事项显示所并入事项的结果；办理中没有 `result`。"
    ),
)
def lookup(request, payload: s.LookupIn):
    return public.public_view(public.receipt_for(request, payload.receipt))


@router.post(
    "/reports/feedback",
    response=answers({200: PublicView}, 404, 409, 429),
    exclude_unset=True,
    by_alias=True,
    summary="凭查询码评价办理结果",
)
def feedback(request, payload: s.PublicFeedbackIn):
    receipt = public.receipt_for(request, payload.receipt)
    public.give_feedback(receipt, payload)
    return public.public_view(receipt)


@router.post(
    "/reports/messages",
    response=answers({201: PublicView}, 404, 409, 429),
    exclude_unset=True,
    by_alias=True,
    summary="凭查询码补充留言",
)
def message(request, payload: s.PublicMessageIn):
    receipt = public.receipt_for(request, payload.receipt)
    public.guard_message(request)
    public.send_message(receipt, payload)
    return Status(201, public.public_view(receipt))
