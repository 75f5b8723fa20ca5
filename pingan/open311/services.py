"""GeoReport services: the active categories of the streams 群众诉求 and 安全隐患, and their questions.

Tips (举报线索) are never a service: they need the portal's confidential path (DESIGN §8).
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from pingan.cases.models import Category, Stream
from pingan.core.errors import DomainError, invalid

from .formats import parse_iso

STREAMS = (Stream.REQUEST, Stream.HAZARD)
DESCRIPTIONS = {
    Stream.REQUEST: "群众诉求·{name}：向有关部门咨询、求助、投诉或提出建议，由综治中心受理并分派办理。",
    Stream.HAZARD: "安全隐患·{name}：报告身边的安全隐患，由综治中心研判后交有关部门排查整改。",
}


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    description: str
    order: int
    required: bool = False
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()
    max_length: int = 200

    def as_dict(self) -> dict[str, Any]:
        return {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
            "values": [{"key": key, "name": name} for key, name in self.values],
        }


# A hazard report's extra questions. The answers are kept in Case.extra["open311"] as the reporter's
# view only: the case's own severity stays 一般 until the dispatcher assesses it.
HAZARD_ATTRIBUTES = (
    Attribute(
        "severity",
        "singlevaluelist",
        "您判断的隐患严重程度（供参考，由综治中心研判后确定）",
        1,
        values=(("normal", "一般"), ("major", "重大")),
    ),
    Attribute(
        "hazard_scope",
        "string",
        "影响范围，如涉及的楼栋、户数、路段或人员",
        2,
        datatype_description="不超过 200 字",
    ),
)
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {Stream.HAZARD: HAZARD_ATTRIBUTES}


def attributes_of(category: Category) -> tuple[Attribute, ...]:
    return ATTRIBUTES.get(category.stream, ())


def active_services() -> QuerySet[Category]:
    return (
        Category.objects.filter(stream__in=STREAMS, active=True)
        .select_related("parent")
        .order_by("stream", "sort", "code")
    )


def service_for(code: str) -> Category:
    category = active_services().filter(code=code).first() if code else None
    if category is None:
        raise DomainError("service_not_found", f"服务代码 {code} 不存在或已停用。", status=404)
    return category


def service_out(category: Category) -> dict[str, Any]:
    stream_label = Stream(category.stream).label
    keywords = [category.name, stream_label] + ([category.parent.name] if category.parent else [])
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": DESCRIPTIONS[Stream(category.stream)].format(name=category.name),
        "metadata": bool(attributes_of(category)),
        "type": "realtime",  # the case exists as soon as the POST returns
        "keywords": ",".join(keywords),
        "group": stream_label,
    }


def definition_out(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": [a.as_dict() for a in attributes_of(category)]}


# ---------------------------------------------------------------- answers to a POST


def _checked(attribute: Attribute, raw: list[str]) -> Any:
    keys = {key for key, _ in attribute.values}
    if attribute.datatype == "multivaluelist":
        if any(value not in keys for value in raw):
            raise ValueError(f"可选值为 {'、'.join(sorted(keys))}")
        return list(dict.fromkeys(raw))
    value = raw[-1]
    if attribute.datatype == "singlevaluelist":
        if value not in keys:
            raise ValueError(f"可选值为 {'、'.join(key for key, _ in attribute.values)}")
        return value
    if attribute.datatype == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("应为数字") from None
        if not number.is_finite():
            raise ValueError("应为数字")
        return int(number) if number == number.to_integral_value() else float(number)
    if attribute.datatype == "datetime":
        moment = parse_iso(value)
        if moment is None:
            raise ValueError("时间格式不正确，应如 2026-11-22T09:30:00+08:00")
        return moment.isoformat()
    if len(value) > attribute.max_length:
        raise ValueError(f"不能超过 {attribute.max_length} 个字")
    return value


def answers(category: Category, form: QueryDict) -> dict[str, Any]:
    """`attribute[CODE]=v` (or `attribute[CODE][]=v1&attribute[CODE][]=v2`) checked against the
    service definition; unknown codes are ignored, an empty value counts as absent."""
    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for attribute in attributes_of(category):
        field = f"attribute[{attribute.code}]"
        raw = [v.strip() for v in form.getlist(field) + form.getlist(field + "[]") if v.strip()]
        if not raw:
            if attribute.required:
                errors[field] = "此项必填"
            continue
        try:
            found[attribute.code] = _checked(attribute, raw)
        except ValueError as exc:
            errors[field] = str(exc)
    if errors:
        raise invalid(errors)
    return found
