"""GeoReport's two formats: the same Python values written as JSON or as XML.

Values are built once (dicts, lists, str, int, bool, None, datetime, Decimal) and rendered here, so the
JSON and XML answers of an endpoint cannot disagree. XML goes through ElementTree, which escapes text.
"""

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime

from pingan.cases.clocks import LOCAL
from pingan.core.errors import DomainError

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
DEFAULT_FORMAT = "xml"  # the format the spec requires; used when the one asked for is unknown

# The element of each item inside a list element (<services><service>…).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all, even escaped; user text could contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso(value: datetime | None) -> str | None:
    """W3C ISO 8601 with the offset, in local time: 2026-11-22T09:30:00+08:00."""
    return value.astimezone(LOCAL).isoformat(timespec="seconds") if value else None


def parse_iso(value: str) -> datetime | None:
    """A W3C datetime that carries its offset; None if it is not one. A `+` left unencoded in a query
    string arrives as a space, so that is read back as the `+` it was."""
    value = value.strip()
    try:
        moment = parse_datetime(value) or parse_datetime(value.replace(" ", "+"))
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not serialisable: {type(value).__name__}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return str(float(value))  # 28.1, as the JSON answer writes it
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _append(element, ITEM_NAMES[name], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: list | dict) -> bytes:
    element = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _append(element, ITEM_NAMES[root], item)
    else:
        for key, item in body.items():
            _append(element, key, item)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode()


def render(fmt: str, root: str, body: list | dict, status: int = 200) -> HttpResponse:
    """`root` names the XML root element; JSON has none and shows `body` as it is."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, default=_json_default).encode()
    else:
        content = to_xml(root, body)
    return HttpResponse(content, status=status, content_type=FORMATS[fmt])


# ---------------------------------------------------------------- errors

# Our own parameter names, as the client sent them (pingan.portal.schemas.PublicReportIn → GeoReport).
PARAMETERS = {
    "lng": "long",
    "address": "address_string",
    "name": "first_name",
    "category": "service_code",
    "stream": "service_code",
}


def error_status(exc: DomainError) -> int:
    """GeoReport knows 403 (api_key), 404 (no such resource) and 400 (everything else); a wrong
    method stays 405 and a server-side failure stays 5xx, as HTTP needs."""
    if exc.status in (403, 404, 405) or exc.status >= 500:
        return exc.status
    return 400


def error_list(exc: DomainError) -> list[dict[str, Any]]:
    status = error_status(exc)
    if not exc.fields:
        return [{"code": status, "description": exc.message}]
    return [
        {"code": status, "description": f"{PARAMETERS.get(field, field)}：{message}"}
        for field, message in exc.fields.items()
    ]


def render_error(fmt: str, exc: DomainError) -> HttpResponse:
    return exc.answer(render(fmt, "errors", error_list(exc)), error_status(exc))


def render_input_error(request, exc: DomainError) -> HttpResponse:
    """Refusals of the input guard (pingan.core.input), in the format the path asks for."""
    fmt = request.path.rsplit(".", 1)[-1] if "." in request.path.rsplit("/", 1)[-1] else DEFAULT_FORMAT
    return render_error(fmt if fmt in FORMATS else DEFAULT_FORMAT, exc)
