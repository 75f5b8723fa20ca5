from .case import Case, CaseSerial, Status, Stream
from .config import CalendarDay, Category, RetentionPolicy, RoutingRule, TimeLimitRule, TimeUnit
from .public import PublicMessage, Receipt, TipExclusion
from .records import (
    Agreement,
    Attachment,
    CaseEvent,
    CaseRequest,
    Escalation,
    FollowUp,
    IdempotencyRecord,
    Notification,
    Party,
    Reporter,
    WorkRecord,
)

__all__ = [
    "Agreement",
    "Attachment",
    "CalendarDay",
    "Case",
    "CaseEvent",
    "CaseRequest",
    "CaseSerial",
    "Category",
    "Escalation",
    "FollowUp",
    "IdempotencyRecord",
    "Notification",
    "Party",
    "PublicMessage",
    "Receipt",
    "Reporter",
    "RetentionPolicy",
    "RoutingRule",
    "Status",
    "Stream",
    "TimeLimitRule",
    "TimeUnit",
    "TipExclusion",
    "WorkRecord",
]
