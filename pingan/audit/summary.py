"""A readable line for the `data` of an audit entry: "理由：联系反映人；字段：反映人电话".

Keys get Chinese names; coded values their labels where a model's choices name them (looked up through
the app registry, so the audit app imports no app above it); times are shown in local time. The raw
`data` stays in the API and in the export.
"""

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime

KEY_LABELS = {
    "note": "说明",
    "reason": "理由",
    "summary": "办理情况",
    "outcome": "办理结果",
    "channel": "渠道",
    "channel_advice": "告知渠道",
    "stream": "业务类型",
    "case": "关联案件",
    "into": "并入",
    "changed": "修改项",
    "was": "修改前",
    "supervision": "督办",
    "level": "级别",
    "lead_unit": "牵头单位",
    "co_units": "协办单位",
    "handler": "承办人",
    "designated": "指定承办",
    "sign_due": "签收时限",
    "resolve_due": "办结时限",
    "check_due": "核查时限",
    "old_due": "原时限",
    "new_due": "新时限",
    "due": "时限",
    "step": "环节",
    "request": "申请",
    "decision": "审批结果",
    "unit": "单位",
    "work_record": "工作记录",
    "kind": "类型",
    "evidence": "证据附件",
    "attachment": "附件",
    "files": "附件数",
    "name": "名称",
    "message": "留言",
    "text": "内容",
    "follow_up": "回访记录",
    "satisfaction": "满意度",
    "resolved": "问题已解决",
    "units": "回避单位",
    "users": "回避人员",
    "field": "字段",
    "filters": "筛选条件",
    "rows": "行数",
    "row": "行号",
    "file": "文件",
    "reported_at": "登记时间",
    "resolved_at": "办结时间",
    "marked": "标记超期",
    "escalations": "超期升级",
    "cases": "案件",
    "orphans": "清理无主文件",
    "username": "用户名",
    "full_name": "姓名",
    "email": "邮箱",
    "password": "设有密码",
    "tokens_revoked": "吊销令牌",
    "user": "用户",
    "role": "角色",
    "region": "区划",
    "object": "对象",
    "changes": "变更",
    "values": "删除前",
    "deleted": "一并删除",
    "locked": "账号锁定中",
    "minutes": "锁定分钟",
    "replaced": "替换原验证器",
    "devices": "移除验证器",
    "job": "导出任务",
}

# Data keys whose coded values a model field's choices name: (model label, field).
CHOICES = {
    "stream": ("cases.case", "stream"),
    "channel": ("cases.case", "channel"),
    "outcome": ("cases.case", "outcome"),
    "supervision": ("cases.case", "supervision_level"),
    "level": ("cases.case", "supervision_level"),
    "satisfaction": ("cases.followup", "satisfaction"),
    "step": ("cases.timelimitrule", "step"),
    "role": ("accounts.rolegrant", "role"),
}
VALUES = {
    "decision": {"approve": "同意", "deny": "不同意"},
    "channel": {"web": "网页", "api": "接口", "admin": "配置管理"},  # where a sign-in came from
}
PII_FIELDS = {"name": "姓名", "phone": "电话", "address": "地址", "id_number": "身份证号"}
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@lru_cache(maxsize=32)
def _choices(key: str) -> dict[str, str]:
    model_label, field = CHOICES[key]
    try:
        choices = apps.get_model(model_label)._meta.get_field(field).choices or ()
    except (LookupError, FieldDoesNotExist):
        return {}
    return {str(k): str(v) for k, v in choices if k}


@lru_cache(maxsize=256)
def _field_label(object_type: str, name: str) -> str:
    """A model field's verbose name, for the `changes` and `values` of configuration and accounts."""
    try:
        return str(apps.get_model(object_type)._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return KEY_LABELS.get(name, name)


def _model_label(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def _pii_field(path: str) -> str:
    """reporter.phone → 反映人电话; parties.12.name → 当事人（12）姓名."""
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "reporter":
        return "反映人" + PII_FIELDS.get(parts[1], parts[1])
    if len(parts) == 3 and parts[0] == "parties":
        return f"当事人（{parts[1]}）" + PII_FIELDS.get(parts[2], parts[2])
    return path


def _value(key: str, value: Any, object_type: str) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(key, v, object_type) for v in value) or "无"
    if isinstance(value, dict):
        return _dict(key, value, object_type)
    if isinstance(value, str):
        if key == "field":
            return _pii_field(value)
        if value in VALUES.get(key, {}):
            return VALUES[key][value]
        if key in CHOICES and value in _choices(key):
            return _choices(key)[value]
        if ISO_TIME.match(value):
            when = parse_datetime(value)
            if isinstance(when, datetime):
                if timezone.is_aware(when):
                    when = timezone.localtime(when)
                return when.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _dict(key: str, value: dict, object_type: str) -> str:
    if key == "changes":
        return "，".join(
            f"{_field_label(object_type, name)} {_plain(c.get('old'))} → {_plain(c.get('new'))}"
            if isinstance(c, dict)
            else f"{_field_label(object_type, name)} {_plain(c)}"
            for name, c in value.items()
        )
    if key == "values":
        return "，".join(f"{_field_label(object_type, n)} {_plain(v)}" for n, v in value.items() if v)
    if key == "deleted":
        return "，".join(f"{_model_label(n)} {v} 条" for n, v in value.items())
    return "，".join(f"{KEY_LABELS.get(k, k)} {_value(k, v, object_type)}" for k, v in value.items())


def _plain(value: Any) -> str:
    return "（空）" if value in (None, "") else _value("", value, "")


def summarise(data: Any, object_type: str = "", *, limit: int | None = None) -> str:
    """The entry's data as one line; each value cut to `limit` characters when given."""
    if not isinstance(data, dict):
        return "" if data in (None, "") else str(data)
    parts = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        text = _value(key, value, object_type)
        if limit is not None and len(text) > limit:
            text = text[:limit] + "…"
        parts.append(f"{KEY_LABELS.get(key, key)}：{text}")
    return "；".join(parts)
