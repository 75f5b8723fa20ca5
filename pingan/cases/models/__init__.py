from .case import Case, CaseSerial, Status, Stream
from .config import CalendarDay, Category, RetentionPolicy, RoutingRule, TimeLimitRule, TimeUnit
from .leadership import LeaderAssignment, PlanStep
from .public import PublicMessage, Receipt
from .records import (
    Agreement,
    Attachment,
    CaseEvent,
    CaseRequest,
    Escalation,
    FollowUp,
    Party,
    Reporter,
    WorkRecord,
)
from .tips import TipExclusion

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
    "LeaderAssignment",
    "Party",
    "PlanStep",
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
