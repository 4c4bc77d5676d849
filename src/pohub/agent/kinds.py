"""The documents the agent sends, as data: each names its kind in the registry
(``pohub.documents.kinds``), which gives its number and line fields, and adds what only the agent
needs of it: how it is posted, what a sent one does to the agent's own line figures, and how it is
counted in the run's report. The runner and the state read this table; no if/elif per kind.

The registry's spec is looked up by name each time, never copied, so the registry stays the one
place a kind's wire names are written.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pohub.agent.report import Report
from pohub.documents import kinds as registry
from pohub.documents.kinds import ACKNOWLEDGEMENT, INVOICE, SHIPMENT, KindSpec

ACK, SHIP, BILL = ACKNOWLEDGEMENT.name, SHIPMENT.name, INVOICE.name  # the kinds' names, as the registry has them


class LineEffect(enum.Enum):
    """What a sent document does to the agent's figures of its order's lines (agent/state.py)."""

    NONE = "none"
    ACCEPTS = "accepts"  # sets accepted, backordered, cancelled and the acknowledged price
    SHIPS = "ships"  # adds its units to shipped


def shipped_units(line: dict[str, Any]) -> int:
    """A document line's units: the sum of its ShipmentInfos' Qty when given, else its Quantity."""
    infos = [i for i in line.get("ShipmentInfos") or [] if isinstance(i, dict) and i.get("Qty") is not None]
    if infos:
        return sum(int(i["Qty"]) for i in infos)
    return int(line.get("Quantity") or 0)


def _lines(spec: KindSpec, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [ln for ln in body.get(spec.lines_field) or [] if isinstance(ln, dict)]


def _count_acknowledgement(report: Report, lines: list[dict[str, Any]], body: dict[str, Any]) -> None:
    if body.get("ExtendedAttributes"):
        report.updated += 1
    else:
        report.acknowledged += 1
    report.accepted_units += sum(int(ln.get("Quantity") or 0) for ln in lines)
    backordered = sum(int(ln.get("QuantityBackordered") or 0) for ln in lines)
    report.backordered_units += backordered
    report.backordered_pos += 1 if backordered else 0
    cancelled = [int(ln.get("QuantityCancelled") or 0) for ln in lines]
    report.cancelled_units += sum(cancelled)
    report.cancelled_lines += sum(1 for c in cancelled if c)


def _count_shipment(report: Report, lines: list[dict[str, Any]], _body: dict[str, Any]) -> None:
    report.shipped += 1
    report.shipped_units += sum(shipped_units(ln) for ln in lines)


def _count_invoice(report: Report, _lines: list[dict[str, Any]], body: dict[str, Any]) -> None:
    report.invoiced += 1
    report.invoiced_amount += body.get("InvoiceTotal") or 0


Counter = Callable[[Report, list[dict[str, Any]], dict[str, Any]], None]


@dataclass(frozen=True)
class AgentKind:
    """One kind of document the agent sends."""

    name: str  # the registry's KindSpec.name
    # Posted to the version's route for the order named in the URL (v1 ``/Shipment/{key}``); False:
    # to the collection, the order named only by Identifier.LinkKey in the body.
    for_order: bool
    effect: LineEffect
    count_into: Counter

    @property
    def spec(self) -> KindSpec:
        return registry.kind(self.name)

    @property
    def number_field(self) -> str:
        field = self.spec.number_field
        assert field is not None, f"{self.name} has no number of its own"
        return field

    def lines(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The document's lines, under the registry's line field."""
        return _lines(self.spec, body)

    def count(self, report: Report, body: dict[str, Any]) -> None:
        self.count_into(report, self.lines(body), body)


SENT: dict[str, AgentKind] = {
    k.name: k
    for k in (
        AgentKind(ACK, False, LineEffect.ACCEPTS, _count_acknowledgement),
        AgentKind(SHIP, True, LineEffect.SHIPS, _count_shipment),
        AgentKind(BILL, True, LineEffect.NONE, _count_invoice),
    )
}


def sent(name: str) -> AgentKind:
    """The agent's view of a kind it sends; LookupError for one it does not."""
    try:
        return SENT[name]
    except KeyError:
        raise LookupError(f"the agent does not send {name!r} documents") from None


def all_sent() -> Iterator[AgentKind]:
    return iter(SENT.values())
