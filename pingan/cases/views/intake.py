"""登记: staff entry of a new case (walk-in, hotline, letter…), through the same action as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden
from pingan.regions.models import Region, subtree_q

from .. import actions
from ..models import Case, Category, Stream
from ..models.case import OPEN_STATUSES
from ..models.records import Party
from .params import form_payload

MAX_PARTIES = 3
CASE_FIELDS = ("stream", "category", "title", "description", "channel", "region", "address", "occurred_at",
               "severity", "people_involved")  # fmt: skip


def creatable_streams(user) -> list[tuple[str, str]]:
    roles = scope_of(user).roles
    allowed = {s for role, streams in actions.CREATE_ROLES.items() if role in roles for s in streams}
    return [(v, label) for v, label in Stream.choices if v in allowed]


def payload_from(post) -> dict:
    """A CaseIn payload from the form; the schema does the checking, as for the API."""
    payload = form_payload(post, CASE_FIELDS)
    if "occurred_at" in payload and len(payload["occurred_at"]) <= 16:
        payload["occurred_at"] += ":00+08:00"
    payload["is_group"] = "is_group" in post
    if post.get("reporter_anonymous"):
        payload["reporter"] = {"anonymous": True}
    elif post.get("reporter_name", "").strip() or post.get("reporter_phone", "").strip():
        payload["reporter"] = {
            "name": post.get("reporter_name", "").strip(),
            "phone": post.get("reporter_phone", "").strip(),
            "address": post.get("reporter_address", "").strip(),
        }
    parties = []
    for i in range(MAX_PARTIES):
        name = post.get(f"party{i}_name", "").strip()
        if name:
            parties.append(
                {
                    "role": post.get(f"party{i}_role", "applicant"),
                    "name": name,
                    "phone": post.get(f"party{i}_phone", "").strip(),
                    "id_number": post.get(f"party{i}_id_number", "").strip(),
                }
            )
    payload["parties"] = parties
    return payload


@login_required
def new_case(request):
    streams = creatable_streams(request.user)
    if not streams:
        raise forbidden("您没有登记案件的权限。")
    error = None
    if request.method == "POST":
        try:
            case = actions.create_case(request.user, payload_from(request.POST))
        except DomainError as e:
            if e.status == 404:
                raise
            error = e
        else:
            messages.success(request, f"已登记，案件编号 {case.number}。")
            return redirect("cases:detail", number=case.number)
    return render(
        request,
        "cases/new.html",
        {
            "streams": streams,
            "values": request.POST,
            "error": error,
            "categories": _category_tree(),
            "towns": Region.objects.filter(level=Region.Level.TOWN).order_by("code"),
            "channels": Case.Channel.choices,
            "party_roles": Party.Role.choices,
            "party_slots": range(MAX_PARTIES),
        },
        status=error.status if error else 200,
    )


def _category_tree() -> list[dict]:
    """Active categories in tree order, each with its depth (for indentation) and stream."""
    cats = list(
        Category.objects.filter(active=True)
        .order_by("stream", "code")
        .values("id", "code", "name", "stream", "parent_id")
    )
    children: dict = {}
    for c in cats:
        children.setdefault(c["parent_id"], []).append(c)
    ordered: list[dict] = []

    def walk(parent, depth):
        for c in children.get(parent, []):
            ordered.append({**c, "depth": depth, "label": "　" * depth + c["name"]})
            walk(c["id"], depth + 1)

    walk(None, 0)
    return ordered


@login_required
def region_options(request):
    """Children of the chosen region as <option>s, for the town → village → grid pickers (htmx sends
    the changed select's own value as `region`)."""
    parent = request.GET.get("region", "")
    children = (
        Region.objects.filter(parent_id=parent).order_by("code").values_list("code", "name") if parent else []
    )
    level = {9: "村（社区）", 12: "网格"}.get(len(parent), "")
    blank = request.GET.get("blank") or (f"选择{level}（可不选）" if level else "—")
    return render(request, "cases/_region_options.html", {"children": children, "blank": blank[:20]})


@login_required
def similar_cases(request):
    """Open cases in the same village whose title shares words with the new one (a hint, not a rule)."""
    region = form_payload(request.GET, ("region",)).get("region", "")
    title = request.GET.get("title", "").strip()
    rows = []
    if len(region) >= 12 and len(title) >= 2:
        words = [w for w in _keywords(title)][:4]
        q = Q()
        for w in words:
            q |= Q(title__icontains=w) | Q(description__icontains=w)
        rows = list(
            Case.objects.visible_to(request.user)
            .filter(q, subtree_q("region", region[:12]), status__in=OPEN_STATUSES)
            .order_by("-id")
            .values("number", "title", "status")[:5]
        )
    return render(request, "cases/_similar.html", {"rows": rows})


def _keywords(title: str) -> list[str]:
    """Chinese has no spaces: take the two-character pieces of the title, the commonest unit of a word."""
    text = "".join(ch for ch in title if ch.isalnum())
    seen: dict[str, None] = {}
    for i in range(len(text) - 1):
        seen.setdefault(text[i : i + 2], None)
    return list(seen)
