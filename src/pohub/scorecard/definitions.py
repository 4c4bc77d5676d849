"""What each scorecard figure means, in one place: the page shows these words under the figures,
GET /api/v1/Scorecard returns them in ``Definitions`` and its schema describes each field with them."""

from __future__ import annotations

# Wire name -> definition. Every ratio is 0..1 on the wire (a percentage on the page), or null when
# there is nothing to divide.
DEFINITIONS: dict[str, str] = {
    "AckHoursMedian": (
        "Median hours from a PO's arrival at the hub to the arrival of its first acknowledgement, "
        "over the POs acknowledged so far."
    ),
    "AckHoursP90": "90th percentile (linear interpolation) of the same hours.",
    "AckWithin24hShare": (
        "POs acknowledged within 24 hours of arriving ÷ POs decided: acknowledged, or unacknowledged "
        "and already older than 24 hours (a miss). Unacknowledged POs younger than 24 hours are not counted yet."
    ),
    "FillRate": (
        "Units accepted ÷ units ordered, both over the acknowledged POs only (UnitsAccepted of "
        "UnitsOrderedOfAcknowledged); POs not acknowledged yet are left out."
    ),
    "CancellationRate": (
        "Units cancelled ÷ units ordered, over every PO received; a PO set to 1100 Cancelled cancels every "
        "unit it had not shipped."
    ),
    "OnTimeShipmentRate": (
        "POs whose owed units all shipped by the end (UTC) of the first acknowledgement's ScheduledShipDate "
        "÷ POs measured (OnTimeShipmentsMeasured): fully shipped, or past that day with units still owed. "
        "A shipment counts at its ShipmentDate, or at the notice's arrival if that is earlier."
    ),
    "InvoiceHoursMedian": (
        "Median hours from the arrival of a PO's first ship notice to the arrival of its first invoice, "
        "over POs with both (arrival times at the hub, which neither side can backdate)."
    ),
    "Daily": "Per day (UTC): POs received, and POs that reached 1000 Complete.",
}
