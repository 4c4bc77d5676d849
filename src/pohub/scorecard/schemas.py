"""GET /api/v1/Scorecard's answer, in the platform's casing (aliases; Python keeps snake_case)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from pohub.scorecard.definitions import DEFINITIONS
from pohub.scorecard.service import PartnerScore, Scorecard


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class DailyCount(_Wire):
    day: date = Field(alias="Date")
    received: int = Field(alias="Received", description="POs received that day")
    completed: int = Field(alias="Completed", description="POs that reached 1000 Complete that day")


class PartnerScorecard(_Wire):
    partner_company_id: int = Field(alias="PartnerCompanyId")
    partner_name: str = Field(alias="PartnerName")
    relationship: str = Field(
        alias="Relationship", description="What the partner is to you: Supplier (you buy from it) or Buyer"
    )
    orders_received: int = Field(alias="OrdersReceived", description="POs that arrived in the window")
    orders_acknowledged: int = Field(alias="OrdersAcknowledged")
    orders_completed: int = Field(alias="OrdersCompleted", description="POs that reached 1000 in the window")
    orders_cancelled: int = Field(alias="OrdersCancelled")
    ack_hours_median: float | None = Field(alias="AckHoursMedian", description=DEFINITIONS["AckHoursMedian"])
    ack_hours_p90: float | None = Field(alias="AckHoursP90", description=DEFINITIONS["AckHoursP90"])
    ack_within_24h: float | None = Field(
        alias="AckWithin24hShare",
        description=DEFINITIONS["AckWithin24hShare"],
    )
    fill_rate: float | None = Field(alias="FillRate", description=DEFINITIONS["FillRate"])
    cancellation_rate: float | None = Field(
        alias="CancellationRate",
        description=DEFINITIONS["CancellationRate"],
    )
    on_time_shipment: float | None = Field(
        alias="OnTimeShipmentRate",
        description=DEFINITIONS["OnTimeShipmentRate"],
    )
    on_time_measured: int = Field(alias="OnTimeShipmentsMeasured", description="POs the on-time share counts")
    invoice_hours_median: float | None = Field(
        alias="InvoiceHoursMedian", description=DEFINITIONS["InvoiceHoursMedian"]
    )
    units_ordered: int = Field(alias="UnitsOrdered", description="Units ordered on every PO received")
    units_accepted: int = Field(
        alias="UnitsAccepted", description="Units accepted on the acknowledged POs (the fill rate's numerator)"
    )
    units_ordered_acknowledged: int = Field(
        alias="UnitsOrderedOfAcknowledged",
        description="Units ordered on the acknowledged POs (the fill rate's denominator)",
    )
    units_cancelled: int = Field(alias="UnitsCancelled")
    daily: list[DailyCount] = Field(alias="Daily", description=DEFINITIONS["Daily"])


class ScorecardBody(_Wire):
    company_id: int = Field(alias="CompanyId")
    days: int = Field(alias="Days")
    start: datetime = Field(alias="From")
    end: datetime = Field(alias="To")
    partners: list[PartnerScorecard] = Field(alias="Partners")
    definitions: dict[str, str] = Field(alias="Definitions", description="What each figure means")


class ScorecardMessage(_Wire):
    code: str = Field(alias="Code")
    message: str = Field(alias="Message")
    body: ScorecardBody = Field(alias="Body")


def _partner(p: PartnerScore) -> PartnerScorecard:
    return PartnerScorecard(
        partner_company_id=p.partner_id,
        partner_name=p.partner_name,
        relationship=p.role,
        orders_received=p.orders_received,
        orders_acknowledged=p.orders_acknowledged,
        orders_completed=p.orders_completed,
        orders_cancelled=p.orders_cancelled,
        ack_hours_median=p.ack_hours_median,
        ack_hours_p90=p.ack_hours_p90,
        ack_within_24h=p.ack_within_24h,
        fill_rate=p.fill_rate,
        cancellation_rate=p.cancellation_rate,
        on_time_shipment=p.on_time_shipment,
        on_time_measured=p.on_time_measured,
        invoice_hours_median=p.invoice_hours_median,
        units_ordered=p.units_ordered,
        units_accepted=p.units_accepted,
        units_ordered_acknowledged=p.units_ordered_acknowledged,
        units_cancelled=p.units_cancelled,
        daily=[DailyCount(day=d.day, received=d.received, completed=d.completed) for d in p.daily],
    )


def to_wire(card: Scorecard) -> ScorecardMessage:
    body = ScorecardBody(
        company_id=card.company_id,
        days=card.days,
        start=card.start,
        end=card.end,
        partners=[_partner(p) for p in card.partners],
        definitions=dict(DEFINITIONS),
    )
    return ScorecardMessage(code="200", message="OK", body=body)
