"""Input shapes of the public path (DESIGN §7)."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from pingan.cases.models import FollowUp
from pingan.cases.schemas import Phone, Strict

Receipt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class PublicReportIn(Strict):
    stream: Literal["request", "hazard", "tip"]
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=5000)]
    category: Annotated[str, StringConstraints(max_length=16)] | None = None
    region: Annotated[str, StringConstraints(max_length=15)] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    lat: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=6)] | None = None
    lng: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=6)] | None = None
    anonymous: bool = True
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    phone: Phone = ""


class LookupIn(Strict):
    receipt: Receipt


class PublicFeedbackIn(Strict):
    receipt: Receipt
    satisfaction: FollowUp.Satisfaction
    resolved: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class PublicMessageIn(Strict):
    receipt: Receipt
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
