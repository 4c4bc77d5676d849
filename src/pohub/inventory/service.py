"""The inventory kind's rules: applying a broadcast, zeroing out, and who may see whose stock.

Visibility, in one place: a supplier sees and changes its own stock; a buyer sees the stock of the
suppliers it trades with (a partnership), and nobody else's. Asking for anyone else's answers 404,
as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import FieldError, Forbidden, NotFound, Unprocessable
from pohub.inventory import notify
from pohub.inventory import repository as repo
from pohub.inventory.feed import ALL_BUYERS, Feed, Item, RowError
from pohub.partners.models import companies

BATCH = 1000  # rows per statement: large enough to amortise a round trip, small enough to stay flat
MAX_REPORTED = 1000  # errors kept in the answer and on the exchange (all are counted)


@dataclass
class Outcome:
    """What a broadcast did: rows read, imported and refused, and the refusals (the first 1000)."""

    format: str
    rows: int = 0
    imported: int = 0
    refused_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)  # the first few imported, for the notification

    def refuse(self, errors: list[RowError]) -> None:
        self.refused_rows += 1
        self.error_count += len(errors)
        room = MAX_REPORTED - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def summary(self) -> str:
        text = f"{self.imported} of {self.rows} rows imported"
        if self.refused_rows:
            text += f", {self.refused_rows} refused"
        return text

    def as_wire(self) -> dict[str, Any]:
        return {
            "Format": self.format,
            "Rows": self.rows,
            "Imported": self.imported,
            "Refused": self.refused_rows,
            "IgnoredColumns": self.ignored_columns,
            "Errors": [e.as_wire() for e in self.errors],
            "ErrorCount": self.error_count,
            "ErrorsTruncated": self.truncated,
        }


async def _lock_supplier(conn: AsyncConnection, supplier_id: int) -> None:
    # One change to a supplier's stock at a time (PostgreSQL; SQLite's write lock does it already):
    # two broadcasts upserting the same SKUs in different orders would otherwise deadlock.
    await conn.execute(select(companies.c.id).where(companies.c.id == supplier_id).with_for_update())


async def _write(conn: AsyncConnection, batch: list[Item], outcome: Outcome, *, values: dict[str, Any]) -> None:
    first: dict[tuple[int, str], Item] = {}
    for item in batch:
        earlier = first.get(item.key)
        if earlier is not None:
            outcome.refuse([_repeat(item, f"is on row {earlier.row} already")])
        else:
            first[item.key] = item
    ids = await repo.upsert_items(conn, [item.values | values for item in first.values()])
    warehouses: list[dict[str, Any]] = []
    for key, item in first.items():
        item_id = ids.get(key)
        if item_id is None:
            # The upsert left it: this same message wrote the SKU in an earlier batch.
            outcome.refuse([_repeat(item, "is on an earlier row already")])
            continue
        outcome.imported += 1
        if len(outcome.skus) <= notify.NAMED_SKUS:
            outcome.skus.append(key[1])
        warehouses.extend(w | {"item_id": item_id} for w in item.warehouses)
    await repo.replace_warehouses(conn, item_ids=list(ids.values()), rows=warehouses)


def _not_a_buyer(item: Item, buyer: int) -> RowError:
    return RowError(
        item.buyer_field,
        f"is {buyer}, which is not one of your buyers: MerchantId names the trading partner these figures "
        "are for (leave it empty for every buyer)",
        item.row,
    )


def _repeat(item: Item, where: str) -> RowError:
    buyer, sku = item.key
    whose = f" for buyer {buyer}" if buyer != ALL_BUYERS else ""
    return RowError(
        "SupplierSKU",
        f"{sku!r}{whose} {where}: a SKU has one row (per MerchantId), its warehouses in Warehouse, "
        "Warehouse2 ... columns",
        item.row,
    )


async def broadcast(
    conn: AsyncConnection, *, company_id: int, feed: Feed, exchange_id: int | None, all_or_nothing: bool = False
) -> Outcome:
    """Apply a supplier's broadcast: each good row replaces its SKU (and the SKU's warehouses); SKUs not
    in the feed stay as they were. Bad rows are reported and skipped, unless ``all_or_nothing``, where
    one bad row refuses the lot. A feed with no good row at all is refused."""
    await _lock_supplier(conn, company_id)
    now = clock.now()
    stamp = {"updated_at": now, "exchange_id": exchange_id}
    outcome = Outcome(feed.format, ignored_columns=feed.ignored_columns)
    buyers = frozenset(await repo.buyers_of(conn, supplier_id=company_id))
    batch: list[Item] = []
    for parsed in feed.rows:
        outcome.rows += 1
        if isinstance(parsed, list):
            outcome.refuse(parsed)
            continue
        buyer = parsed.key[0]
        if buyer != ALL_BUYERS and buyer not in buyers:
            outcome.refuse([_not_a_buyer(parsed, buyer)])
            continue
        if all_or_nothing and outcome.refused_rows:
            continue  # it will all roll back: only the checking goes on, to report every bad row
        batch.append(parsed)
        if len(batch) >= BATCH:
            await _write(conn, batch, outcome, values=stamp)
            batch = []
    if batch and not (all_or_nothing and outcome.refused_rows):
        await _write(conn, batch, outcome, values=stamp)
    outcome.errors.sort(key=lambda e: e.row)  # repeats of a SKU are found when their batch is written
    if outcome.rows == 0:
        raise Unprocessable("The feed has no inventory rows", [FieldError("body", "has a header but no rows")])
    if outcome.refused_rows and (all_or_nothing or outcome.imported == 0):
        reason = "allOrNothing is set" if all_or_nothing else "no row could be imported"
        raise Unprocessable(
            f"Inventory refused: {outcome.refused_rows} of {outcome.rows} rows are bad and {reason}; nothing changed",
            list(outcome.errors),
            extra={"Rows": outcome.rows, "Refused": outcome.refused_rows, "ErrorCount": outcome.error_count},
        )
    skus = tuple(outcome.skus) if outcome.imported <= notify.NAMED_SKUS else None
    await _notify(conn, company_id, "broadcast", outcome.imported, now, exchange_id, skus)
    return outcome


async def zero_out(conn: AsyncConnection, *, company_id: int, partner_id: int, exchange_id: int | None) -> int:
    """Set every quantity of the caller's stock to 0 (as seen by ``partner_id``: itself or a buyer)."""
    if partner_id != company_id and not await repo.trades(conn, buyer_id=partner_id, supplier_id=company_id):
        if await repo.trades(conn, buyer_id=company_id, supplier_id=partner_id):
            raise Forbidden(
                f"Company {partner_id} is your supplier: only a supplier zeroes out its own inventory",
                [FieldError("partnerId", "must be your own company id or one of your buyers'")],
            )
        raise NotFound(f"No inventory for partner {partner_id}")
    await _lock_supplier(conn, company_id)
    now = clock.now()
    count = await repo.zero_out(conn, supplier_id=company_id, at=now, exchange_id=exchange_id)
    await _notify(conn, company_id, "zero_out", count, now, exchange_id, None)
    return count


async def _notify(
    conn: AsyncConnection,
    supplier_id: int,
    operation: str,
    items: int,
    at: Any,
    exchange_id: int | None,
    skus: tuple[str, ...] | None,
) -> None:
    audience = (supplier_id, *await repo.buyers_of(conn, supplier_id=supplier_id))
    await notify.updated(conn, notify.Updated(supplier_id, operation, items, at, exchange_id, audience, skus))


async def stock_owner(conn: AsyncConnection, *, company_id: int, partner_id: int) -> int:
    """Whose stock the caller reads as ``/Inventory/{partnerId}``: a supplier's own (partnerId is itself
    or one of its buyers), or, for a buyer, the supplier it names. Anyone else's: 404."""
    return (await stock_view(conn, company_id=company_id, partner_id=partner_id))[0]


async def stock_view(conn: AsyncConnection, *, company_id: int, partner_id: int) -> tuple[int, int]:
    """(supplier, buyer) of what the caller reads as ``/Inventory/{partnerId}``: the buyer's own figures
    where the supplier published some for it, else the figures for every buyer. A supplier reading
    itself sees its figures for every buyer (buyer 0); naming one of its buyers, what that buyer sees."""
    if partner_id == company_id:
        return company_id, ALL_BUYERS
    if await repo.trades(conn, buyer_id=company_id, supplier_id=partner_id):
        return partner_id, company_id
    if await repo.trades(conn, buyer_id=partner_id, supplier_id=company_id):
        return company_id, partner_id
    raise NotFound(f"No inventory for partner {partner_id}")


async def stock_for_order(conn: AsyncConnection, *, order: Any, lines: list[Any], company_id: int) -> dict[str, Any]:
    """For the order's buyer: the supplier's published item for each line's SupplierSKU (the dashboard's
    order page), the buyer's own figure where there is one. The supplier knows its own stock, so it
    gets nothing here."""
    if company_id != order.sender_company_id or company_id == order.receiver_company_id:
        return {}
    return await repo.stock_for_skus(
        conn,
        supplier_id=order.receiver_company_id,
        skus=[ln.supplier_sku for ln in lines if ln.supplier_sku],
        buyer_id=company_id,
    )
