from .case import Case, CaseSerial, Status, Stream
from .config import CalendarDay, Category, RoutingRule, TimeLimitRule, TimeUnit
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
    "Reporter",
    "RoutingRule",
    "Status",
    "Stream",
    "TimeLimitRule",
    "TimeUnit",
    "WorkRecord",
]
