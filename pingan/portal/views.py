"""群众端: report a problem and follow it with a receipt, without an account (DESIGN §7, §8).

Phone-first pages. Nothing here reads who the visitor is; the receipt travels only in POST bodies,
and pages that show it are never cached.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from pingan.cases.models import RetentionPolicy
from pingan.cases.views.params import form_payload
from pingan.core.errors import DomainError
from pingan.portal import answers, choices, public
from pingan.regions.models import Region

FORM_FIELDS = ("category", "description", "region", "address", "lat", "lng", "name", "phone")


def _page(request, template: str, context: dict):
    """Every portal page names the county the resident is writing to."""
    return render(request, template, {"county": public.county_name(), **context})


def home(request):
    offered = choices.offered()
    return _page(request, "portal/home.html", {"choices": offered, "topics": choices.introduction(offered)})


def _retention_years(stream: str) -> str:
    days = RetentionPolicy.objects.filter(stream=stream).values_list("days", flat=True).first()
    if not days:
        return "办理所需期限"
    return f"{days // 365} 年" if days % 365 == 0 else f"{days} 天"


def _anonymous(choice: choices.Choice, post) -> bool:
    return post.get("anonymous", "no" if choice.named else "yes") != "no"


def _payload(choice: choices.Choice, post) -> dict:
    payload = form_payload(post, FORM_FIELDS)
    payload["stream"] = choice.stream
    payload["category"] = choices.category_code(choice, post.get("category", ""))
    payload["anonymous"] = _anonymous(choice, post)
    if payload["anonymous"]:
        payload.pop("name", None)
        payload.pop("phone", None)
    return payload


@never_cache
def report(request, choice: str):
    chosen = choices.find(choice)
    if chosen is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            public.guard_submission(request)
            files = [(f.name or "照片", f.read()) for f in request.FILES.getlist("photos")]
            case, code = public.submit_report(_payload(chosen, request.POST), files)
        except DomainError as e:
            error = e
        else:
            receipt = {"code": code, "response": answers.first_response(case)}
            return _page(request, "portal/receipt.html", receipt)
    context = {
        "choice": chosen,
        "stream": chosen.stream,
        "categories": choices.categories(chosen),
        "towns": Region.objects.filter(parent=public.county_region()).order_by("code"),
        "keep": _retention_years(chosen.stream),
        "values": request.POST,
        "anonymous": _anonymous(chosen, request.POST),
        "error": error,
    }
    response = _page(request, "portal/report.html", context)
    return error.answer(response) if error else response


@never_cache
def track(request):
    """Look a report up by receipt, read the replies, rate the outcome, add a message."""
    if request.method != "POST":
        return _page(request, "portal/lookup.html", {})
    typed = request.POST.get("receipt", "")
    op = request.POST.get("op", "lookup")
    try:
        receipt = public.receipt_for(request, typed)
    except DomainError as e:
        return e.answer(_page(request, "portal/lookup.html", {"error": e}))
    error = done = None
    try:
        if op == "feedback":
            public.give_feedback(receipt, _feedback(typed, request.POST))
            done = "感谢您的评价！"
        elif op == "message":
            public.guard_message(request)
            public.send_message(receipt, {"receipt": typed, "text": request.POST.get("text", "")})
            done = "留言已送达，工作人员会尽快答复。"
    except DomainError as e:
        error = e
    context = {"view": public.public_view(receipt), "receipt": typed, "error": error, "done": done, "op": op}
    response = _page(request, "portal/track.html", context)
    return error.answer(response) if error else response


def _feedback(typed: str, post) -> dict:
    data: dict = {"receipt": typed, "note": post.get("note", "")}
    if post.get("satisfaction"):
        data["satisfaction"] = post["satisfaction"]
    if post.get("resolved") in ("true", "false"):
        data["resolved"] = post["resolved"] == "true"
    return data


def region_options(request):
    """Villages of a town as <option>s for the place picker (public reference data)."""
    parent = request.GET.get("region", "")
    children = (
        Region.objects.filter(parent_id=parent, level=Region.Level.VILLAGE).values_list("code", "name")
        if len(parent) == 9
        else []
    )
    blank = "选择村（社区），可不选" if children else "—"
    return render(request, "cases/_region_options.html", {"children": children, "blank": blank})
