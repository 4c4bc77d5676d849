"""Acknowledgement policies: given a PO, how much of each line to accept, backorder or cancel.

A policy is a small class (see docs/agent.md): ``acknowledge`` answers a new PO, ``update`` may improve
an earlier answer (stock arrived for a backorder), ``release`` gives back what a refused answer took.
"""

from __future__ import annotations

import csv
import importlib
import importlib.util
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pohub.agent.csvfiles import read_inventory

if TYPE_CHECKING:
    from pohub.client import AsyncClient

# SalesRequirement codes of the platform's order.
NO_BACKORDER = 0
SHIP_COMPLETE = 2

OUT_OF_STOCK = "Out of stock"
INVALID_SKU = "Invalid SKU"


@dataclass(frozen=True)
class POLine:
    """One order line, with what has been acknowledged and shipped so far."""

    line_number: str
    sku: str | None
    quantity: int
    price: Decimal | None = None
    uom: str | None = None
    accepted: int = 0
    backordered: int = 0
    cancelled: int = 0
    shipped: int = 0


@dataclass(frozen=True)
class PurchaseOrder:
    """What a policy sees of a PO."""

    key: str
    partner_po: str
    lines: tuple[POLine, ...]
    sales_requirement: int | None = None

    @property
    def no_backorder(self) -> bool:
        return self.sales_requirement == NO_BACKORDER

    @property
    def ship_complete(self) -> bool:
        return self.sales_requirement == SHIP_COMPLETE


@dataclass(frozen=True)
class LineAck:
    """The answer for one line: ``accepted + backordered + cancelled`` should be the line's quantity."""

    line_number: str
    sku: str | None
    accepted: int
    backordered: int = 0
    cancelled: int = 0
    reason: str | None = None
    price: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    """A whole acknowledgement; ``ship_date`` becomes its ScheduledShipDate (today when None)."""

    lines: tuple[LineAck, ...]
    ship_date: date | None = None

    @property
    def accepted(self) -> int:
        return sum(line.accepted for line in self.lines)

    @property
    def backordered(self) -> int:
        return sum(line.backordered for line in self.lines)

    @property
    def cancelled(self) -> int:
        return sum(line.cancelled for line in self.lines)


class Policy:
    """The base class of every policy. Subclass it and override ``acknowledge`` (and ``update`` if the
    policy can improve earlier answers)."""

    name: ClassVar[str] = "custom"

    async def refresh(self, client: AsyncClient) -> None:
        """Called once per pass, before ``start``, with the agent's client: a policy whose figures live on
        the hub (the inventory feed) reads them here, over HTTP. A ClientError stops the pass."""

    def start(self, *, promised: Mapping[str, int], today: date) -> None:
        """Called once per pass with the units already promised and not yet shipped, per SupplierSKU."""
        self.today = today

    def acknowledge(self, order: PurchaseOrder) -> Decision:
        """The acknowledgement for a new PO."""
        raise NotImplementedError

    def update(self, order: PurchaseOrder) -> Decision | None:
        """A better acknowledgement for a PO answered before (its lines carry the current figures), or None."""
        return None

    def release(self, order: PurchaseOrder) -> None:
        """The server refused the last decision for this PO: give back whatever it took."""


class AcceptAll(Policy):
    """Accept every line in full."""

    name: ClassVar[str] = "accept-all"

    def acknowledge(self, order: PurchaseOrder) -> Decision:
        return Decision(tuple(LineAck(ln.line_number, ln.sku, ln.quantity) for ln in order.lines))


@dataclass(frozen=True)
class StockItem:
    on_hand: int
    lead_days: int = 0
    next_available: date | None = None  # when more arrives (the hub's NextAvailableDate)

    def wait_days(self, today: date) -> int:
        """Days until a backorder can ship: to the next-available date when the feed gives one still
        ahead, else the lead time."""
        if self.next_available is not None and self.next_available >= today:
            return (self.next_available - today).days
        return self.lead_days


@dataclass(frozen=True)
class HubFeed:
    """The supplier's own inventory as published on the hub: ``GET /Inventory/{partner_id}``, where the
    partner is the caller itself (None: its CompanyId, from ``GET /Partners``) or one of its buyers."""

    partner_id: int | None = None

    @classmethod
    def parse(cls, text: str) -> HubFeed:
        """``hub`` (or ``self``): the caller's own id; a number: that partner id."""
        spec = text.strip().lower()
        if spec in ("hub", "self", "own"):
            return cls(None)
        if spec.isascii() and spec.isdigit():
            return cls(int(spec))
        raise ValueError(f"the inventory feed is 'hub' or a partner id, got {text!r}")


_LEAD = re.compile(r"\s*(\d{1,4})\s*(d|day|days|w|wk|week|weeks)?\s*$", re.IGNORECASE)


def lead_days(text: str) -> int:
    """LeadTime as the feed spells it ("7", "7 days", "2 weeks") in days; 0 when it says nothing usable."""
    match = _LEAD.match(text or "")
    if match is None:
        return 0
    unit = (match.group(2) or "d").lower()
    return int(match.group(1)) * (7 if unit.startswith("w") else 1)


def stock_from_feed(text: str) -> dict[str, StockItem]:
    """The hub's inventory CSV (LBInventoryItem columns): Quantity as on hand, LeadTime, NextAvailableDate.
    A row whose figures do not read is a ValueError naming it (the pass stops rather than guess)."""
    out: dict[str, StockItem] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        sku = (row.get("SupplierSKU") or "").strip()
        if not sku:
            continue
        quantity = (row.get("Quantity") or "0").strip()
        next_text = (row.get("NextAvailableDate") or "").strip()
        try:
            next_date = datetime.fromisoformat(next_text).date() if next_text else None
            out[sku] = StockItem(int(quantity or 0), lead_days(row.get("LeadTime") or ""), next_date)
        except ValueError:
            raise ValueError(f"inventory feed row {number} ({sku}): Quantity or NextAvailableDate unreadable") from None
    return out


@dataclass
class InventoryPolicy(Policy):
    """Accept what is on hand, backorder the rest (ScheduledShipDate today + lead time), cancel unknown
    SKUs; honour SalesRequirement (0 no backorder: cancel instead; 2 ship complete: backorder the whole
    order when any line is short). The on-hand figures are physical stock: units this agent promised
    earlier and has not shipped yet are taken off them, so no unit is promised twice. The figures come
    from a CSV file, or from the hub's inventory feed (read again at every pass)."""

    stock: dict[str, StockItem]
    name: ClassVar[str] = "inventory"
    available: dict[str, int] = field(default_factory=dict)
    taken: dict[str, dict[str, int]] = field(default_factory=dict)
    feed: HubFeed | None = None

    @classmethod
    def from_csv(cls, path: Path) -> InventoryPolicy:
        """Read SupplierSKU, on-hand quantity and lead time in days from a CSV file."""
        return cls({sku: StockItem(on_hand, lead) for sku, on_hand, lead in read_inventory(path)})

    @classmethod
    def from_hub(cls, feed: HubFeed) -> InventoryPolicy:
        """Read the stock the supplier published on the hub, through the agent's client, at every pass."""
        return cls({}, feed=feed)

    async def refresh(self, client: AsyncClient) -> None:
        if self.feed is None:
            return
        partner_id = self.feed.partner_id
        if partner_id is None:
            partner_id = int((await client.partners())["CompanyId"])
        self.stock = stock_from_feed(await client.inventory_csv(partner_id))

    def start(self, *, promised: Mapping[str, int], today: date) -> None:
        super().start(promised=promised, today=today)
        self.available = {sku: max(item.on_hand - promised.get(sku, 0), 0) for sku, item in self.stock.items()}
        self.taken = {}

    def _ship_date(self, lines: list[LineAck]) -> date:
        waits = [self.stock[ln.sku].wait_days(self.today) for ln in lines if ln.backordered and ln.sku in self.stock]
        return self.today + timedelta(days=max(waits, default=0))

    def _take(self, key: str, sku: str, units: int) -> None:
        if units:
            self.available[sku] -= units
            mine = self.taken.setdefault(key, {})
            mine[sku] = mine.get(sku, 0) + units

    def acknowledge(self, order: PurchaseOrder) -> Decision:
        left = dict(self.available)
        planned: list[tuple[POLine, int]] = []
        for line in order.lines:
            if line.sku is None or line.sku not in self.stock:
                planned.append((line, -1))
                continue
            take = min(line.quantity, left[line.sku])
            left[line.sku] -= take
            planned.append((line, take))
        short = any(take >= 0 and take < line.quantity for line, take in planned)
        out: list[LineAck] = []
        for line, take in planned:
            if take < 0:
                out.append(LineAck(line.line_number, line.sku, 0, cancelled=line.quantity, reason=INVALID_SKU))
            elif order.ship_complete and short:
                # Nothing ships until everything can: no stock is set aside for a waiting order.
                out.append(LineAck(line.line_number, line.sku, 0, backordered=line.quantity, reason=OUT_OF_STOCK))
            else:
                assert line.sku is not None
                self._take(order.key, line.sku, take)
                rest = line.quantity - take
                if rest and order.no_backorder:
                    out.append(LineAck(line.line_number, line.sku, take, cancelled=rest, reason=OUT_OF_STOCK))
                elif rest:
                    out.append(LineAck(line.line_number, line.sku, take, backordered=rest, reason=OUT_OF_STOCK))
                else:
                    out.append(LineAck(line.line_number, line.sku, take))
        return Decision(tuple(out), self._ship_date(out))

    def update(self, order: PurchaseOrder) -> Decision | None:
        waiting = [ln for ln in order.lines if ln.backordered > 0 and ln.sku in self.stock]
        if not waiting:
            return None
        left = dict(self.available)
        fill: dict[str, int] = {}
        for line in waiting:
            assert line.sku is not None
            take = min(line.backordered, left[line.sku])
            left[line.sku] -= take
            fill[line.line_number] = take
        if order.ship_complete and any(fill[ln.line_number] < ln.backordered for ln in waiting):
            return None
        if not any(fill.values()):
            return None
        out: list[LineAck] = []
        for line in order.lines:
            take = fill.get(line.line_number, 0)
            if take and line.sku is not None:
                self._take(order.key, line.sku, take)
            backordered = line.backordered - take
            if backordered:
                reason: str | None = OUT_OF_STOCK
            elif line.cancelled:
                reason = INVALID_SKU if line.sku not in self.stock else OUT_OF_STOCK
            else:
                reason = None
            out.append(LineAck(line.line_number, line.sku, line.accepted + take, backordered, line.cancelled, reason))
        return Decision(tuple(out), self._ship_date(out))

    def release(self, order: PurchaseOrder) -> None:
        for sku, units in self.taken.pop(order.key, {}).items():
            self.available[sku] += units


BUILT_IN: dict[str, type[Policy]] = {"accept-all": AcceptAll, "inventory": InventoryPolicy}


def load_policy(
    spec: str,
    *,
    inventory: Path | None = None,
    options: Mapping[str, Any] | None = None,
    feed: str | None = None,
) -> Policy:
    """``accept-all``, ``inventory`` (with an inventory CSV, or ``feed`` = ``hub`` to read the hub's
    inventory feed), or your own class as ``package.module:Class`` or ``path/to/file.py:Class``;
    ``options`` are passed to its constructor."""
    options = dict(options or {})
    if spec == "accept-all":
        return AcceptAll(**options)
    if spec == "inventory":
        if feed and inventory is not None:
            raise ValueError(
                "give the inventory policy a file (--inventory) or the hub's feed (--inventory-feed), not both"
            )
        if feed:
            return InventoryPolicy.from_hub(HubFeed.parse(feed))
        if inventory is None:
            raise ValueError(
                "the inventory policy needs an inventory file (--inventory FILE.csv)"
                " or the hub's feed (--inventory-feed hub)"
            )
        policy = InventoryPolicy.from_csv(inventory)
        return policy
    target, sep, class_name = spec.rpartition(":")
    if not sep or not target or not class_name:
        raise ValueError(f"a policy is accept-all, inventory, or MODULE:CLASS / FILE.py:CLASS, got {spec!r}")
    if target.endswith(".py"):
        path = Path(target)
        module_spec = importlib.util.spec_from_file_location(f"pohub_agent_policy_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise ValueError(f"cannot load a policy from {path}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, Policy):
        raise ValueError(f"{spec!r} is not a subclass of pohub.agent.policies.Policy")
    if inventory is not None and hasattr(cls, "from_csv"):
        made: Policy = cls.from_csv(inventory)
        return made
    return cls(**options)
