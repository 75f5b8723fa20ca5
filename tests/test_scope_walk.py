"""Every URL of the product, walked as someone who must not see a case (DESIGN §2, §8).

The URL list comes from Django's URL registry, so a page or endpoint added later is walked without
editing this file; a path parameter this file cannot fill makes the walk fail instead of skipping it.
Each walker requests every URL with GET (lists and search boxes also with search parameters aimed
at the secret: a piece of its title, its village) and POST (a body that passes the schema), through
the browser session and, for the API and Open311, with a bearer token. The whole contract of an answer is in
`outsider_problem`; afterwards the secrets must be unchanged.
"""

import html
import io
import json
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import product

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from pingan.accountability import actions as accountability
from pingan.accounts.models import ApiToken, SavedFilter
from pingan.api.base import api as ninja_api
from pingan.cases.actions import ACTIONS, add_attachment, perform
from pingan.cases.models import Case, CaseEvent
from pingan.cases.schemas import RevealIn
from pingan.cases.selectors import CaseFilter
from pingan.cases.workflow import TRANSITIONS
from pingan.core.periods import period_of
from pingan.core.validation import validate
from pingan.exports.jobs import export_or_queue, write_export
from pingan.focusareas import actions as focus_areas
from pingan.focusareas.models import FocusArea
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification
from pingan.portal.public import submit_report
from pingan.reports.actions import generate as generate_report

from .conftest import JPEG, Api, case_body

# ---------------------------------------------------------------- what the walk leaves out

# Routes never walked, each with the reason. Everything else in the URL registry is walked.
SKIPPED_PREFIXES = {
    # The Django admin has its own permission rules (pingan/*/admin.py); none of the walkers is
    # staff, so every admin URL would only send them to the admin's login page.
    "admin/": "Django admin",
}
SKIPPED_ROUTES = {
    "login/": "the login form: no case data, and posting to it counts failed logins (django-axes)",
    "logout/": "ends the walker's session",
    "api/v1/docs": "the OpenAPI docs page: describes the API, holds no data",
    "api/v1/openapi.json": "the OpenAPI document: describes the API, holds no data",
    "portal/": "public portal home: a menu, never shows a case",
    "portal/new/<str:choice>/": "public report form: never shows a case; a POST files a new report",
    "portal/regions/": "public portal's town/village picker: region names only",
}
# Static files are served by WhiteNoise's middleware, not by URL patterns: there is nothing to skip.

# ---------------------------------------------------------------- the secret and its sub-resources

PUBLIC_REQUEST = "秘查甲：青石巷十七号地下室有人私拉电线给电动车充电"
PUBLIC_TIP = "秘查乙：柳河桥头茶馆每晚有人聚众赌博并放高利贷"
STAFF_TITLE = "秘查丙：东风路口窨井盖缺失多日"


@dataclass
class Secret:
    """A case in the first town with a photo, a work record, a pending request and (when filed by the
    public) a reply to its reporter; `canaries` are texts only someone who may see the case could read."""

    label: str
    number: str
    attachment_id: int
    saved_filter_pk: int  # another user's saved filter, named after the case
    token_pk: int  # another user's API token, named after the case
    export_job_id: int  # the dispatcher's background export holding the case
    report_id: int  # a monthly report of the case's town, by the county's supervisor
    entry_id: int  # a 挂牌 of the case's lead unit with a record file, linked to the case where it may be
    focus_id: int  # the case's village listed as 重点整治地区
    village: str
    keyword: str  # a piece of the title, for search boxes (the whole title would be echoed back)
    canaries: tuple[str, ...]
    # A request or hazard the public filed itself: anonymous Open311 lists its number, status, dates
    # and town (DESIGN §7), so there the number alone is not a leak.
    number_public_in_open311: bool = False
    state: dict = field(default_factory=dict)


def act(user, number: str, action: str, payload: dict) -> None:
    """An action, then the notices its event sends (run now, as the task worker would after commit):
    a notices page or API that shows them to the wrong user is caught by the walk."""
    perform(user, number, action, payload)
    _notify_latest(number)


def _notify_latest(number: str) -> None:
    notify_events.call([CaseEvent.objects.filter(case__number=number).latest("pk").pk])


def _work_on(county, number: str, tag: str) -> tuple[str, ...]:
    """Accept, dispatch to the first town's 综治中心, sign, record work, ask for an extension: the
    sub-resources an outsider must not reach. Returns the texts written."""
    dispatcher, handler = county.users["dispatcher"], county.users["handler"]
    work, reason = f"{tag}工作记录：已约谈当事人", f"{tag}延期理由：需等待鉴定"
    act(dispatcher, number, "accept", {})
    act(dispatcher, number, "dispatch", {"lead_unit": town_centre(county, county.towns[0])})
    act(handler, number, "sign", {})
    act(handler, number, "record_work", {"kind": "visit", "content": work})
    due = Case.objects.get(number=number).resolve_due or timezone.now()
    act(handler, number, "request_extension", {"reason": reason, "new_due": due + timedelta(days=1)})
    return work, reason


def _public_secret(county, label: str, stream: str, description: str, tag: str) -> Secret:
    village = county.villages[county.towns[0].code][0]
    name, phone = f"{tag}报告人", "13900007777"
    case, _ = submit_report(
        {
            "stream": stream,
            "description": description,
            "region": village.code,
            "address": f"{tag}详细地址",
            "anonymous": False,
            "name": name,
            "phone": phone,
        },
        [(f"{tag}现场照片.jpg", JPEG)],
    )
    _notify_latest(case.number)
    work, reason = _work_on(county, case.number, tag)
    reply = f"{tag}答复：已安排人员处理"
    act(county.users["handler"], case.number, "reply", {"text": reply})
    return _secret(
        county,
        label,
        case,
        keyword=description[4:10],
        canaries=(case.title, description, work, reason, reply, name, phone, f"{tag}详细地址"),
        number_public_in_open311=stream != "tip",
    )


def _staff_secret(county, tag: str) -> Secret:
    """Entered by the dispatcher: no receipt, so no reply; never listed by anonymous Open311."""
    body = case_body(county, title=STAFF_TITLE, description=f"{tag}描述：井盖缺失处已围挡")
    body["reporter"] = {"name": f"{tag}报告人", "phone": "13900008888"}
    status, data = Api(county.users["dispatcher"]).post("/cases", body)
    assert status == 201, data
    number = data["number"]
    _notify_latest(number)
    add_attachment(
        county.users["dispatcher"],
        number,
        kind="photo",
        name=f"{tag}现场照片.jpg",
        content=JPEG,
        content_type="image/jpeg",
    )
    work, reason = _work_on(county, number, tag)
    case = Case.objects.get(number=number)
    return _secret(
        county,
        "staff-entered request",
        case,
        keyword=STAFF_TITLE[4:10],
        canaries=(STAFF_TITLE, body["description"], work, reason, f"{tag}报告人", "13900008888"),
    )


def _secret(county, label: str, case: Case, *, keyword, canaries, number_public_in_open311=False) -> Secret:
    saved = SavedFilter.objects.create(
        user=county.users["handler"], name=case.title[:40], query=f"q={case.number}"
    )
    token, _ = ApiToken.issue(county.users["handler"], name=case.title[:40])
    with override_settings(PINGAN_EXPORT_BACKGROUND_ROWS=0):  # even one row goes to the worker
        job = export_or_queue(county.users["dispatcher"], CaseFilter(q=case.number))
    assert write_export.call(job.pk) == 1
    month = period_of("month", timezone.localdate()).key
    report = generate_report("monthly", month, case.region_id[:9], by=county.users["supervisor"])
    return Secret(
        entry_id=_accountability_entry(county, case),
        focus_id=_focus_area(county, case),
        label=label,
        number=case.number,
        attachment_id=case.attachments.get().pk,
        saved_filter_pk=saved.pk,
        token_pk=token.pk,
        export_job_id=job.pk,
        report_id=report.pk,
        village=case.region_id,
        keyword=keyword,
        canaries=canaries,
        number_public_in_open311=number_public_in_open311,
    )


def _accountability_entry(county, case: Case) -> int:
    """A listing of the case's lead unit in the ledger, its record filed. The case is linked as its
    rectification case unless it is a tip, which the supervisor cannot see and so cannot link."""
    supervisor = county.users["supervisor"]
    case = Case.objects.select_related("lead_unit").get(pk=case.pk)  # dispatched since it was filed
    entry = accountability.enter(
        by=supervisor,
        unit=case.lead_unit,
        level="listing",
        trigger="走查：挂牌整改",
        requirement="走查整改要求",
    )
    if case.stream != "tip":
        accountability.link_cases(entry, [case.number], by=supervisor)
    accountability.attach_record(entry, by=supervisor, name="走查约谈记录.pdf", content=b"%PDF-1.4\n%%EOF\n")
    return entry.pk


def _focus_area(county, case: Case) -> int:
    """The case's village under 整治, listed by the county's supervisor (once for the three secrets,
    which share the village)."""
    village = case.region_id[:12]
    listed = FocusArea.objects.filter(region_id=village, status="listed").first()
    if listed is None:
        deadline = timezone.localdate() + timedelta(days=60)
        listed = focus_areas.list_area(
            by=county.users["supervisor"], region=village, reason="走查：千人发案率居前", deadline=deadline
        )
    return listed.pk


def _state(secret: Secret) -> dict:
    """What a walker's POST must not change."""
    case = Case.objects.get(number=secret.number)
    return {
        "version": case.version,
        "status": case.status,
        "events": case.events.count(),
        "attachments": case.attachments.count(),
        "work_records": case.work_records.count(),
        "requests": list(case.requests.values_list("kind", "decision")),
        "exclusions": sorted(map(str, case.exclusions.values_list("unit_id", "user_id"))),
        "saved_filter": SavedFilter.objects.filter(pk=secret.saved_filter_pk).exists(),
        "token": ApiToken.objects.filter(pk=secret.token_pk).exists(),
        "focus_areas": list(FocusArea.objects.order_by("pk").values_list("pk", "status")),
    }


def _decoy(county, town, title: str) -> str:
    """A case the walker may see, so that its lists are not empty and its sign-in is proven."""
    village = county.villages[town.code][0]
    status, data = Api(county.users["dispatcher"]).post(
        "/cases", case_body(county, title=title, region=village.code)
    )
    assert status == 201, data
    act(county.users["dispatcher"], data["number"], "accept", {})
    act(county.users["dispatcher"], data["number"], "dispatch", {"lead_unit": town_centre(county, town)})
    return data["number"]


def town_centre(county, town) -> str:
    return county.town_unit(town, "centre").code


# ---------------------------------------------------------------- filling path parameters


def path_values(secret: Secret) -> dict[str, list[str]]:
    """Values for every path parameter name in the URL registry. A new name fails the walk."""
    return {
        "number": [secret.number],
        "attachment_id": [str(secret.attachment_id)],
        "action": [*TRANSITIONS, "reveal"],
        "pk": [str(secret.saved_filter_pk)],
        "token_id": [str(secret.token_pk)],
        "job_id": [str(secret.export_job_id)],
        "report_id": [str(secret.report_id)],
        "entry_id": [str(secret.entry_id)],
        "focus_id": [str(secret.focus_id)],
        # 研判预警 (aggregate: no alert names the secret case; these answer an outsider 404 or refuse him)
        "alert_id": ["1"],
        # 专项整治 (no campaign holds the secret case: these URLs answer an outsider 404 or refuse him)
        "campaign_id": ["1"],
        "task_id": ["1"],
        "task_action": ["report_progress", "complete", "accept", "reject", "supervise"],
        "round_id": ["1"],
        "item_id": ["1"],
        "evidence_id": ["1"],
        "fmt": ["json", "xml"],
        "kind": ["register", "assignment", "supervision", "agreement", "follow_up"],
        "service_request_id": [secret.number],
        # An Open311 token is a capability held by the client that submitted the request (it answers
        # only the case number); an outsider does not hold the secret's, so it tries one of its own.
        "token": ["no-such-token-0000"],
        "service_code": ["R02", "H01"],
        # Hazard inspections: no place, inspection or finding of the walk's world holds the secret case.
        "place_id": ["1"],
        "inspection_id": ["1"],
        "finding_id": ["1"],
        # 平安创建 (no case data): programmes, the register, applications, their evidence and steps.
        "programme_id": ["1"],
        "organisation_id": ["1"],
        "application_id": ["1"],
        "step": ["submit", "review", "recognise", "award"],
    }


# Parameters whose value names the secret. Such a URL answers an outsider 404 (never 403 or 409,
# which would tell them the case exists; never 200), 405 for a method it does not take, or 400 for a
# body it refuses before looking the case up.
SECRET_PARAMS = {"number", "attachment_id", "service_request_id", "job_id", "entry_id", "focus_id"}
SECRET_URL_ANSWERS = {400, 404, 405}
# Pages and endpoints that do not name the case may refuse the user, or answer without the case.
OTHER_URL_ANSWERS = {200, 400, 403, 404, 405, 409}

PARAM = re.compile(r"<(?:[^>:]+:)?(\w+)>")


@dataclass(frozen=True)
class Url:
    route: str  # the pattern, as registered
    path: str  # filled in
    names_secret: bool
    api_methods: frozenset[str] = frozenset()


def _routes(resolver=None, prefix: str = ""):
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p, route)
        else:
            yield route


def _api_methods() -> dict[str, frozenset[str]]:
    paths = ninja_api.get_openapi_schema()["paths"]
    return {path: frozenset(m.upper() for m in ops) for path, ops in paths.items()}


def walkable_urls(values: dict[str, list[str]]) -> tuple[list[Url], set[str]]:
    """Every registered route outside the allow-list, with its parameters filled in every way the
    table gives. Also returns the allow-list entries that matched, to catch stale ones."""
    declared = _api_methods()
    urls: dict[str, Url] = {}
    skipped: set[str] = set()
    for route in _routes():
        prefix = next((p for p in SKIPPED_PREFIXES if route.startswith(p)), None)
        if prefix or route in SKIPPED_ROUTES:
            skipped.add(prefix or route)
            continue
        names_secret = bool(SECRET_PARAMS & set(PARAM.findall(route)))
        methods = declared.get("/" + PARAM.sub(r"{\1}", route), frozenset())
        for path in filled_paths(route, values):
            urls.setdefault(path, Url(route, path, names_secret, methods))
    return list(urls.values()), skipped


def filled_paths(route: str, values: dict[str, list[str]]) -> list[str]:
    """The route with its parameters filled in every combination of the table's values."""
    assert "^" not in route and "(?P" not in route, (
        f"/{route} is a regex route the walk cannot fill: write it with path() or add it to "
        "SKIPPED_ROUTES in tests/test_scope_walk.py with the reason"
    )
    names = PARAM.findall(route)
    unknown = [n for n in names if n not in values]
    assert not unknown, (
        f"/{route} has path parameter(s) {unknown} that the scope walk cannot fill: add each to "
        "path_values() in tests/test_scope_walk.py with a value naming the secret case (or its "
        "sub-resource), so that the new URL is walked as an outsider"
    )
    paths = []
    for combo in product(*(values[n] for n in names)):
        filled = dict(zip(names, combo, strict=True))
        paths.append("/" + PARAM.sub(lambda m, filled=filled: filled[m.group(1)], route))
    return paths


# ---------------------------------------------------------------- minimal bodies


def minimal_bodies(county) -> dict[str, dict]:
    """A body that passes the schema, keyed by the last segment of the path (an action's name), so
    that a refusal comes from the scope check and not from validation. Other URLs get an empty body."""
    note, reason = {"note": "走查"}, {"reason": "走查"}
    decision = {"decision": "approve"}
    return {
        "update": {"title": "走查修改标题"},
        "accept": note,
        "reject": reason,
        "merge": {"into": "PA-990122-2000-000001"},
        "relate": {"case": "PA-990122-2000-000001"},
        "withdraw": reason,
        "answer": {"summary": "走查", "outcome": "explained"},
        "dispatch": {"lead_unit": town_centre(county, county.towns[1])},
        "sign": note,
        "request_return": reason,
        "decide_return": decision,
        "request_extension": {**reason, "new_due": (timezone.now() + timedelta(days=400)).isoformat()},
        "decide_extension": decision,
        "request_suspension": reason,
        "decide_suspension": decision,
        "resume": note,
        "record_work": {"kind": "visit", "content": "走查"},
        "resolve": {"outcome": "resolved", "summary": "走查"},
        "check_pass": note,
        "check_fail": reason,
        "follow_up": {"satisfaction": "satisfied", "resolved": True},
        "reopen": reason,
        "archive": note,
        "supervise": {"level": "listed", "requirement": "走查", "report_every_days": 7},
        "lift_supervision": {"note": "走查"},
        "report_progress": {"text": "走查"},
        "reply": {"text": "走查"},
        "assign_leader": {
            "leader": "leader",
            "team_units": [town_centre(county, county.towns[0])],
            "plan": [{"step": "走查", "due": "2099-12-31"}],
        },
        "complete_plan_step": {"step": 1},
        "leader_sign_off": {"note": "走查"},
        "mark_backlog": {"source": "走查"},
        "record_performance": {"state": "performed"},
        "record_judicial_confirmation": {"applied_on": "2000-01-01", "court": "走查法院"},
        # Empty lists: taking it would lift every exclusion, the walker's own included.
        "exclude": reason,
        "reveal": {"field": "reporter.phone", "reason": "走查"},
        "attachments": {"file": JPEG, "kind": "photo"},  # an upload: bytes are sent as a file
        # The accountability ledger's actions and its entry by hand (POST /api/v1/accountability).
        "dismiss": reason,
        "lift": note,
        "link": {"cases": "PA-990122-2000-000001"},
        "accountability": {
            "unit": town_centre(county, county.towns[0]),
            "level": "listing",
            "trigger": "走查",
        },
        # 重点地区: delisting an area, listing one (POST /api/v1/focus-areas).
        "delist": note,
        "focus-areas": {
            "region": county.villages[county.towns[0].code][1].code,
            "reason": "走查",
            "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    }


def _form_value(value):
    if isinstance(value, bytes):
        return SimpleUploadedFile("walk.jpg", value, "image/jpeg")
    return "true" if value is True else value


def _form(body: dict) -> dict:
    """The same body as an HTML form posts it (multipart, so bytes become a file)."""
    return {k: _form_value(v) for k, v in body.items()}


# ---------------------------------------------------------------- reading an answer


def readable_text(response) -> str | None:
    """Everything a person could read in the answer: headers, body (HTML entities undone) and
    workbook cells. None for a file we cannot read (an image, a PDF)."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    if raw.startswith(b"PK\x03\x04"):  # .xlsx / .docx
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return headers + "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    ctype = response.get("Content-Type", "")
    if raw and not any(t in ctype for t in ("text/", "json", "xml", "javascript")):
        return None
    text = raw.decode("utf-8", "replace")
    return f"{headers}\n{text}\n{html.unescape(text)}"


def shows(text: str, canary: str) -> bool:
    """As written, or as JSON writes it with non-ASCII escaped (the API's answers)."""
    return canary in text or json.dumps(canary)[1:-1] in text


@dataclass(frozen=True)
class Request:
    url: Url
    method: str
    user: str
    via: str  # "session" or "token"
    query: str = ""

    def __str__(self) -> str:
        via = self.via
        if via == "session" and self.url.path.startswith("/open311/"):
            via = "session, which Open311 ignores: anonymous"
        return f"{self.method} {self.url.path}{self.query} as {self.user} ({via})"


def outsider_problem(request: Request, response, secret: Secret) -> str | None:
    """The contract: an outsider gets 404, a refusal of the whole page (400/403/405/409), or a 200
    that shows nothing of the secret case. Returns what is wrong, or None."""
    status = response.status_code
    where = f"{request}: {status}"
    chain = getattr(response, "redirect_chain", [])
    if any(url.startswith(("/login/", "/admin/login/")) for url, _ in chain):
        return f"{where} after a redirect to the login page: the walker is not signed in, so proves nothing"
    # Anonymous Open311 (no api_key: the session is not one) lists a request or hazard the public filed
    # itself by number, with status, dates and town (DESIGN §7).
    public_number = (
        request.url.path.startswith("/open311/")
        and request.via == "session"
        and secret.number_public_in_open311
    )
    # A URL that names the case may echo the number it was given ("PA-… 不存在"); its status says
    # whether the case was found.
    number_given = secret.number in request.url.path
    watched = dict.fromkeys([*secret.canaries, *([] if public_number or number_given else [secret.number])])
    text = readable_text(response)
    if text is not None:
        shown = [c for c in watched if shows(text, c)]
        if shown:
            return f"{where}, showing the {secret.label} {secret.number}: {shown}"
    expected = SECRET_URL_ANSWERS if request.url.names_secret and not public_number else OTHER_URL_ANSWERS
    if status not in expected:
        return f"{where}: expected one of {sorted(expected)} for the {secret.label} {secret.number}"
    if status == 200 and text is None:
        return f"{where} answered a file ({response.get('Content-Type')}): an outsider got the file"
    return None


# ---------------------------------------------------------------- the walk


@dataclass
class Walk:
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    decoy_seen: Counter = field(default_factory=Counter)
    routes: set[str] = field(default_factory=set)
    combos: set[tuple[str, str, str]] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)


def _send(client, method: str, path: str, *, query: dict, body: dict, as_form: bool):
    # A savepoint per request: a database error in one view must not poison the rest of the walk.
    with transaction.atomic():
        if method == "GET":
            return client.get(path, query, follow=True)
        if as_form or any(isinstance(v, bytes) for v in body.values()):
            return client.post(path, _form(body), follow=True)
        return client.generic(method, path, json.dumps(body), content_type="application/json", follow=True)


def walk_as(walk: Walk, urls: list[Url], clients: dict, user: str, secret: Secret, bodies, decoy: str):
    probe = {"q": secret.keyword, "title": secret.keyword, "region": secret.village}
    for url in urls:
        api = url.path.startswith("/api/")  # JSON bodies; pages and Open311 take forms
        methods = ["GET", "POST", *sorted(url.api_methods - {"GET", "POST"})]
        # The API answers a session as it answers a token, after the same login check: one will do.
        # Open311 ignores the session, so through it the walker is an anonymous client: both.
        vias = (
            ("token",) if api else ("session", "token") if url.path.startswith("/open311/") else ("session",)
        )
        for via, method in product(vias, methods):
            # Search parameters matter to lists and search boxes, not to a URL that names the case.
            queries = [{}, probe] if method == "GET" and not url.names_secret else [{}]
            body = bodies.get(url.path.rstrip("/").rsplit("/", 1)[-1], {})
            for query in queries:
                qs = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
                request = Request(url, method, user, via, qs)
                walk.requests += 1
                walk.routes.add(url.route)
                walk.combos.add((url.path, method, user))
                try:
                    response = _send(clients[via], method, url.path, query=query, body=body, as_form=not api)
                except Exception as exc:  # a 500: the view raised
                    walk.problems.append(f"{request}: 500, the view raised {exc!r}")
                    continue
                walk.statuses[response.status_code] += 1
                problem = outsider_problem(request, response, secret)
                if problem:
                    walk.problems.append(problem)
                elif response.status_code == 200 and decoy in (readable_text(response) or ""):
                    walk.decoy_seen[(user, via)] += 1


@pytest.fixture
def world(county, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first, second = county.towns[:2]
    request = _public_secret(county, "public request", "request", PUBLIC_REQUEST, "秘甲")
    tip = _public_secret(county, "public tip", "tip", PUBLIC_TIP, "秘乙")
    staff = _staff_secret(county, "秘丙")
    # 回避: the tip names the lead unit's head and a custodian, who would otherwise both see it. The
    # head was told of the extension request before that, so a notice naming the tip is theirs.
    assert Notification.objects.filter(case__number=tip.number, recipient__username="unit_head").exists()
    exclusion = {"users": ["unit_head", "custodian"], "reason": "线索涉及本人"}
    act(county.users["dispatcher"], tip.number, "exclude", exclusion)
    decoys = {
        "first": _decoy(county, first, "走查可见甲：路灯不亮"),
        "second": _decoy(county, second, "走查可见乙"),
    }
    for secret in (request, tip, staff):
        secret.state = _state(secret)
    return {"request": request, "tip": tip, "staff": staff, "decoys": decoys}


# (user, secret, their own decoy): handler2 works only in the second town; unit_head heads the tip's
# lead unit, but the tip names him (回避; the custodian, named too, is kept out by the same rule, which
# test_tips_and_traces checks for a region role). handler2 walks the staff-entered case and the tip
# (which holds a receipt, as the public request does: its public side is walked there); the insider
# test reaches all three.
WALKERS = [
    ("handler2", "staff", "second"),
    ("handler2", "tip", "second"),
    ("unit_head", "tip", "first"),
]


@pytest.fixture
def quiet_refusals():
    """Thousands of 4xx answers each log a warning; keep errors (a 500 is still logged)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def test_no_url_shows_a_case_to_a_user_outside_it(county, web, world, capsys, quiet_refusals):
    """Out of scope (handler2) and excluded from a tip (unit_head): every URL answers them
    404, a refusal, or a page without the case; and nothing they post changes it."""
    walk = Walk()
    bodies = minimal_bodies(county)
    skipped_seen: set[str] = set()
    for user, which, mine in WALKERS:
        cache.clear()  # the public endpoints' rate limits count per client; each walker starts afresh
        secret = world[which]
        urls, skipped = walkable_urls(path_values(secret))
        skipped_seen |= skipped
        clients = {"session": web(user), "token": Api(county.users[user]).client}
        walk_as(walk, urls, clients, user, secret, bodies, world["decoys"][mine])
    for secret in (world["request"], world["tip"], world["staff"]):
        if (now := _state(secret)) != secret.state:
            walk.problems.append(f"the walkers' POSTs changed the {secret.label} {secret.number}: {now}")
    with capsys.disabled():
        print(
            f"\nscope walk: {walk.requests} requests, {len(walk.combos)} URL×method×user combinations, "
            f"{len(walk.routes)} routes; answers {dict(sorted(walk.statuses.items()))}; "
            f"{len(walk.problems)} problems"
        )
    stale = (set(SKIPPED_PREFIXES) | set(SKIPPED_ROUTES)) - skipped_seen
    assert not stale, f"allow-list entries that match no URL any more: {stale}"
    assert len(walk.routes) >= 40 and len(walk.combos) >= 500, (len(walk.routes), len(walk.combos))
    # Each walker was signed in, through the session and with its token, and its lists have rows.
    assert {key for key, n in walk.decoy_seen.items() if n} == {
        (user, via) for user, _, _ in WALKERS for via in ("session", "token")
    }, walk.decoy_seen
    if walk.problems:
        pytest.fail("\n".join(["outsiders reached a case:", *walk.problems]), pytrace=False)


def test_an_insider_reaches_the_secret_through_the_same_table(county, web, world):
    """The walk's values are live: the dispatcher opens the secret's pages, events and photo."""
    dispatcher = web("dispatcher")
    token = Api(county.users["dispatcher"]).client
    for secret in (world["request"], world["tip"], world["staff"]):
        urls, _ = walkable_urls(path_values(secret))
        shown = set()
        for url in urls:
            if url.names_secret and "GET" in (url.api_methods or {"GET"}):
                client = token if url.path.startswith(("/api/", "/open311/")) else dispatcher
                r = client.get(url.path)
                if r.status_code == 200:
                    text = readable_text(r)
                    if text is None or any(shows(text, c) for c in (secret.number, *secret.canaries)):
                        shown.add(url.route)
        assert {
            "cases/<str:number>/",
            "cases/<str:number>/attachments/<int:attachment_id>/",
            "api/v1/cases/<number>",
            "api/v1/cases/<number>/events",
            "api/v1/cases/<number>/attachments/<attachment_id>",
            "exports/<int:job_id>/file/",
        } <= shown, (secret.label, shown)


def test_every_action_has_a_minimal_body_its_schema_accepts(county):
    """The walk posts these, so that an outsider's refusal comes from the scope check, not from a
    malformed body. A new action needs one here."""
    bodies = minimal_bodies(county)
    for action, spec in ACTIONS.items():
        schema = spec.schema
        assert action in bodies, f"add a minimal body for the new action {action!r} to minimal_bodies()"
        validate(schema, bodies[action])
    validate(RevealIn, bodies["reveal"])


def test_a_route_with_a_parameter_the_table_lacks_fails_the_walk(county, world):
    """A page added later with a new kind of parameter cannot slip past the walk unvisited."""
    values = path_values(world["request"])
    assert filled_paths("cases/<str:number>/actions/<str:action>/", values)[0] == (
        f"/cases/{world['request'].number}/actions/update/"
    )
    with pytest.raises(AssertionError, match=r"\['notice_id'\].*add each to\s+path_values\(\)"):
        filled_paths("notices/<int:notice_id>/", values)
