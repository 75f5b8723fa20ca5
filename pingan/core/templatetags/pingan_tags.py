"""Template filters used across the staff pages (loaded as builtins)."""

import json
from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping[key]` or None, for dicts and QueryDicts alike."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def filesize(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


@register.filter
def party_field(party_id: int, name: str) -> str:
    """The `reveal` field name of one party's value: parties.<id>.<name>."""
    return f"parties.{party_id}.{name}"


FIELD_LABELS = {
    "stream": "业务类型", "category": "分类", "title": "标题", "description": "事项描述",
    "channel": "来源渠道", "region": "地点", "address": "详细地址", "occurred_at": "发生时间",
    "severity": "严重程度", "people_involved": "涉及人数", "reporter": "反映人", "name": "姓名",
    "phone": "电话", "id_number": "身份证号", "parties": "当事人", "role": "身份", "_": "内容",
}  # fmt: skip


@register.filter
def field_label(path: str) -> str:
    """ "reporter.phone" → "反映人 电话", "parties.0.name" → "当事人 1 姓名": error fields for people."""
    words = []
    for part in str(path).split("."):
        index = part.isascii() and part.isdigit()
        words.append(str(int(part) + 1) if index else FIELD_LABELS.get(part, part))
    return " ".join(words)


@register.simple_tag
def invalid(error, field_id: str) -> str:
    """The attributes that mark a control whose value was refused and tie it to its message:
    `<input id="i-title"{% invalid errors.title "i-title" %}>`."""
    if not error:
        return ""
    return format_html(' aria-invalid="true" aria-describedby="{}-error"', field_id)


@register.simple_tag
def field_error(error, field_id: str) -> str:
    """The message under a refused control, with the id that `invalid` points at."""
    if not error:
        return ""
    return format_html('<p class="field-error" id="{}-error">{}</p>', field_id, error)


@register.filter
def figure(value) -> str:
    """A stored figure as people write it: 12, 95.6, 1,234.5 — no trailing zeros; "—" for none."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.4f}".rstrip("0").rstrip(".")


@register.filter
def change(fraction) -> str:
    """A change as a signed percentage (+12.3% / −4.0%); "—" when there is no base to compare with."""
    if fraction is None:
        return "—"
    return f"{fraction * 100:+.1f}%".replace("-", "−")


@register.filter
def met_target(figure_, indicator):
    """Whether a figure meets its indicator's target, for templates (which cannot pass arguments)."""
    return figure_.met(indicator)


@register.filter
def json_attr(value) -> str:
    """A value as JSON for a data- attribute (the template escapes it as any attribute)."""
    return json.dumps(value, ensure_ascii=False)
