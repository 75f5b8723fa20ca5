"""登记: staff entry of a new case (walk-in, hotline, letter…), through the same action as the API."""

import re
from contextlib import suppress
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden
from pingan.regions.models import Region

from .. import actions
from ..models import Case, Category, Stream
from ..models.records import Party
from ..similar import RADIUS_M, Probe, similar_open_cases
from . import hints
from .form_errors import Spot, form_errors
from .params import form_payload

MAX_PARTIES = 3
CASE_FIELDS = ("stream", "category", "title", "description", "channel", "region", "address", "lat", "lng",
               "occurred_at", "severity", "people_involved")  # fmt: skip

# The form's controls in the order they appear, with the labels a person sees (errors name these).
SPOTS = [
    Spot("stream", "i-stream", "业务类型"),
    Spot("channel", "i-channel", "来源渠道"),
    Spot("category", "i-category", "分类"),
    Spot("title", "i-title", "标题"),
    Spot("description", "i-description", "事项描述"),
    Spot("severity", "i-severity", "严重程度"),
    Spot("people_involved", "i-people", "涉及人数"),
    Spot("occurred_at", "i-occurred", "发生时间"),
    Spot("is_group", "i-group", "群体性事项"),
    Spot("region", "i-town", "乡镇（街道）"),
    Spot("address", "i-address", "详细地址"),
    Spot("lat", "i-lat", "纬度"),
    Spot("lng", "i-lng", "经度"),
    Spot("reporter_name", "i-rname", "反映人 姓名"),
    Spot("reporter_phone", "i-rphone", "反映人 联系电话"),
    Spot("reporter_address", "i-raddr", "反映人 地址"),
]
PARTY_LABELS = {"role": "身份", "name": "姓名", "phone": "电话", "id_number": "身份证号"}


def _party_spot(path: str, slots: list[int]) -> Spot | None:
    """parties.0.phone → the phone of the first party sent, in fieldset `slots[0]` (blank fieldsets are
    not sent): for slot 1, 当事人 2 电话 (control party1_phone, id p1-phone)."""
    m = re.fullmatch(r"parties\.(\d+)\.(\w+)", path)
    if not m or m.group(2) not in PARTY_LABELS or int(m.group(1)) >= len(slots):
        return None
    i, name = slots[int(m.group(1))], m.group(2)
    return Spot(f"party{i}_{name}", _party_control_id(i, name), f"当事人 {i + 1} {PARTY_LABELS[name]}")


def _party_control_id(i: int, name: str) -> str:
    return f"p{i}-{'id' if name == 'id_number' else name}"


def _party_slots_sent(post) -> list[int]:
    """The fieldsets that make a party in the payload: those with a name, in order."""
    return [i for i in range(MAX_PARTIES) if post.get(f"party{i}_name", "").strip()]


def creatable_streams(user) -> list[tuple[str, str]]:
    roles = scope_of(user).roles
    allowed = {s for role, streams in actions.CREATE_ROLES.items() if role in roles for s in streams}
    return [(v, label) for v, label in Stream.choices if v in allowed]


def payload_from(post) -> dict:
    """A CaseIn payload from the form; the schema does the checking, as for the API."""
    payload = form_payload(post, CASE_FIELDS)
    if "occurred_at" in payload and len(payload["occurred_at"]) <= 16:
        payload["occurred_at"] += ":00+08:00"
    for name in ("lat", "lng"):  # typed by hand: keep the six decimals a case stores
        if name in payload:
            with suppress(InvalidOperation):  # not a number: the schema says so
                payload[name] = str(Decimal(payload[name]).quantize(Decimal("0.000001")))
    payload["is_group"] = "is_group" in post
    if post.get("reporter_anonymous"):
        payload["reporter"] = {"anonymous": True}
    elif post.get("reporter_name", "").strip() or post.get("reporter_phone", "").strip():
        payload["reporter"] = {
            "name": post.get("reporter_name", "").strip(),
            "phone": post.get("reporter_phone", "").strip(),
            "address": post.get("reporter_address", "").strip(),
        }
    payload["parties"] = [
        {
            "role": post.get(f"party{i}_role", "applicant"),
            "name": post.get(f"party{i}_name", "").strip(),
            "phone": post.get(f"party{i}_phone", "").strip(),
            "id_number": post.get(f"party{i}_id_number", "").strip(),
        }
        for i in _party_slots_sent(post)
    ]
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
    sent = _party_slots_sent(request.POST)
    errors = form_errors(error, SPOTS, lambda path: _party_spot(path, sent))
    parties = _party_slots(request.POST, errors.by_name)
    return render(
        request,
        "cases/new.html",
        {
            "streams": streams,
            "values": request.POST,
            "error": error,
            "errors": errors,
            "categories": _category_tree(),
            "towns": Region.objects.filter(level=Region.Level.TOWN).order_by("code"),
            "picked": _picked_regions(request.POST.getlist("region")),
            "channels": Case.Channel.choices,
            "party_roles": Party.Role.choices,
            "parties": parties,
            "more_parties_open": any(p["values"]["name"] or p["errors"] for p in parties[1:]),
            "hint_urls": hints.ready_urls(),
        },
        status=error.status if error else 200,
    )


def _party_slots(post, errors: dict[str, str]) -> list[dict]:
    """The party fieldsets with what was typed into them and what was refused."""
    slots = []
    for i in range(MAX_PARTIES):
        names = {name: f"party{i}_{name}" for name in PARTY_LABELS}
        slots.append(
            {
                "i": i,
                "values": {name: post.get(control, "") for name, control in names.items()},
                "errors": {name: errors[control] for name, control in names.items() if control in errors},
                "ids": {name: _party_control_id(i, name) for name in PARTY_LABELS},
            }
        )
    return slots


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


def chosen_region(codes: list[str]) -> str:
    """The most specific of the town → village → grid pickers' values that still hangs together: just
    after the town changes, the village picker may still hold a village of the town before."""
    chosen = ""
    for code in (c.strip() for c in codes):
        if code.isdigit() and len(code) > len(chosen) and code.startswith(chosen):
            chosen = code
    return chosen


LEVELS = (("town", 9), ("village", 12), ("grid", 15))


def _picked_regions(codes: list[str]) -> dict:
    """The pickers as they were submitted, so that a form shown again with its errors keeps the place."""
    chosen = chosen_region(codes)
    picked: dict = {level: chosen[:n] if len(chosen) >= n else "" for level, n in LEVELS}
    for level, parent in (("villages", picked["town"]), ("grids", picked["village"])):
        picked[level] = (
            list(Region.objects.filter(parent_id=parent).order_by("code").values_list("code", "name"))
            if len(parent) in (9, 12)
            else []
        )
    return picked


def _coordinate(value: str, bound: int) -> Decimal | None:
    """A latitude (bound 90) or longitude (180) from the query, or None for anything else."""
    try:
        number = Decimal(value.strip()[:12])
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) <= bound else None


@login_required
def similar_cases(request):
    """Open cases like the one being registered: asked again whenever its title, description, place or
    category changes (a hint, not a rule). The same selector as the case page and the API."""
    region = chosen_region(request.GET.getlist("region"))
    lat = _coordinate(request.GET.get("lat", ""), 90)
    lng = _coordinate(request.GET.get("lng", ""), 180)
    located = lat is not None and lng is not None
    probe = Probe(
        title=request.GET.get("title", "").strip()[:200],
        description=request.GET.get("description", "").strip()[:5000],
        region=region,
        category=request.GET.get("category", "").strip()[:16],
        address=request.GET.get("address", "").strip()[:200],
        lat=lat if located else None,
        lng=lng if located else None,
    )
    context = {
        "rows": similar_open_cases(request.user, probe) if probe.title else [],
        "where": "村（社区）" if len(region) >= 12 else "乡镇（街道）",
        "located": located,
        "radius": RADIUS_M,
    }
    return render(request, "cases/_similar.html", context)
