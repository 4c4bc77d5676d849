"""Queries on inventory. No commits: the unit of work decides. Writes go in bulk statements (one
upsert per batch of rows, one delete and one insert for their warehouses), never row by row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.inventory.models import inventory_items, inventory_warehouses
from pohub.partners.models import partnerships

I = inventory_items.c  # noqa: E741  (the items' columns, as D is the documents')
W = inventory_warehouses.c
P = partnerships.c

# What a broadcast row sets; the key (supplier_id, sku) is what it is matched on.
WRITTEN = (
    "merchant_sku",
    "upc",
    "manufacturer_sku",
    "description",
    "uom",
    "cost",
    "quantity",
    "next_available_quantity",
    "next_available_date",
    "lead_time",
    "status",
    "updated_at",
    "exchange_id",
)


def _upsert(make: Callable[[Any], Any]) -> Any:
    stmt = make(inventory_items)
    # An item this same message wrote already is left alone and not returned: the caller reports the
    # later row as a repeat of the SKU instead of letting it silently replace the earlier one.
    return stmt.on_conflict_do_update(
        index_elements=[I.supplier_id, I.buyer_id, I.sku],
        set_={name: stmt.excluded[name] for name in WRITTEN},
        where=I.exchange_id.is_distinct_from(stmt.excluded.exchange_id),
    ).returning(I.id, I.buyer_id, I.sku)


_UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}
_INSERT_WAREHOUSES = insert(inventory_warehouses)
_DELETE_WAREHOUSES = delete(inventory_warehouses).where(W.item_id.in_(bindparam("ids", expanding=True)))


async def upsert_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> dict[tuple[int, str], int]:
    """Insert or replace items (one statement for the batch); (buyer id, SupplierSKU) -> id of those written."""
    if not rows:
        return {}
    result = await conn.execute(_UPSERT[conn.dialect.name], rows)
    return {(int(buyer_id), sku): int(item_id) for item_id, buyer_id, sku in result.all()}


_SPECIFIC = inventory_items.alias("specific")


def seen_by(buyer_id: int) -> ColumnElement[bool]:
    """The items a buyer sees: its own figure for a SKU where the supplier published one, else the
    figure for every buyer. ``buyer_id`` 0 is the supplier's own view: the figures for every buyer."""
    if buyer_id == 0:
        return I.buyer_id == 0
    S = _SPECIFIC.c
    own = exists().where(S.supplier_id == I.supplier_id, S.buyer_id == buyer_id, S.sku == I.sku)
    return or_(I.buyer_id == buyer_id, and_(I.buyer_id == 0, ~own))


async def replace_warehouses(conn: AsyncConnection, *, item_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
    """The items' warehouses become exactly ``rows`` (each with its item_id)."""
    if item_ids:
        await conn.execute(_DELETE_WAREHOUSES, {"ids": list(item_ids)})
    if rows:
        await conn.execute(_INSERT_WAREHOUSES, rows)


async def zero_out(conn: AsyncConnection, *, supplier_id: int, at: datetime, exchange_id: int | None) -> int:
    """Every item of the supplier, and each of its warehouses, to quantity 0; how many items."""
    mine = select(I.id).where(I.supplier_id == supplier_id).scalar_subquery()
    await conn.execute(update(inventory_warehouses).where(W.item_id.in_(mine)).values(quantity=0))
    result = await conn.execute(
        update(inventory_items)
        .where(I.supplier_id == supplier_id)
        .values(quantity=0, updated_at=at, exchange_id=exchange_id)
    )
    return int(result.rowcount)


async def item(conn: AsyncConnection, *, supplier_id: int, sku: str, buyer_id: int = 0) -> Any:
    """The SKU as ``buyer_id`` sees it (0: the supplier's figure for every buyer)."""
    stmt = select(inventory_items).where(I.supplier_id == supplier_id, I.sku == sku, seen_by(buyer_id))
    return (await conn.execute(stmt)).first()


async def warehouses_of(conn: AsyncConnection, *, item_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Each item's warehouses in slot order."""
    ids = list(item_ids)
    out: dict[int, list[Any]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = select(inventory_warehouses).where(W.item_id.in_(ids)).order_by(W.item_id, W.position)
    for row in (await conn.execute(stmt)).all():
        out[row.item_id].append(row)
    return out


def download_conditions(
    *, supplier_id: int, modified_after: datetime | None, mapped: bool | None, buyer_id: int = 0
) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [I.supplier_id == supplier_id, seen_by(buyer_id)]
    if modified_after is not None:
        cond.append(I.updated_at >= modified_after)
    if mapped is True:
        cond.append(I.merchant_sku.is_not(None))
    elif mapped is False:
        cond.append(I.merchant_sku.is_(None))
    return cond


async def widest(conn: AsyncConnection, cond: list[ColumnElement[bool]]) -> int:
    """The highest warehouse slot any of these items uses (the download's header reaches that far)."""
    stmt = select(func.max(W.position)).select_from(inventory_warehouses.join(inventory_items)).where(*cond)
    return int((await conn.execute(stmt)).scalar_one() or 0)


async def items_after(
    conn: AsyncConnection, cond: list[ColumnElement[bool]], *, after_id: int, limit: int
) -> list[Any]:
    """One page of items by id (keyset paging: each page is one index range, however deep)."""
    stmt = select(inventory_items).where(*cond, I.id > after_id).order_by(I.id).limit(limit)
    return list((await conn.execute(stmt)).all())


async def suppliers_of(conn: AsyncConnection, *, buyer_id: int) -> list[int]:
    stmt = select(P.supplier_id).where(P.buyer_id == buyer_id).order_by(P.supplier_id)
    return [int(r) for r in (await conn.execute(stmt)).scalars()]


async def buyers_of(conn: AsyncConnection, *, supplier_id: int) -> list[int]:
    stmt = select(P.buyer_id).where(P.supplier_id == supplier_id).order_by(P.buyer_id)
    return [int(r) for r in (await conn.execute(stmt)).scalars()]


async def trades(conn: AsyncConnection, *, buyer_id: int, supplier_id: int) -> bool:
    stmt = select(P.id).where(P.buyer_id == buyer_id, P.supplier_id == supplier_id)
    return (await conn.execute(stmt)).first() is not None


async def availability(conn: AsyncConnection, *, supplier_ids: list[int], sku: str, buyer_id: int = 0) -> list[Any]:
    """The items of these suppliers whose SupplierSKU or MerchantSKU is ``sku``, as ``buyer_id`` sees them."""
    if not supplier_ids:
        return []
    stmt = (
        select(inventory_items)
        .where(I.supplier_id.in_(supplier_ids), or_(I.sku == sku, I.merchant_sku == sku), seen_by(buyer_id))
        .order_by(I.supplier_id, I.id)
    )
    return list((await conn.execute(stmt)).all())


async def stock_for_skus(
    conn: AsyncConnection, *, supplier_id: int, skus: Iterable[str], buyer_id: int = 0
) -> dict[str, Any]:
    """The supplier's items for these SupplierSKUs (an order's lines) as ``buyer_id`` sees them, by SKU."""
    wanted = sorted({s for s in skus if s})
    if not wanted:
        return {}
    stmt = select(inventory_items).where(and_(I.supplier_id == supplier_id, I.sku.in_(wanted)), seen_by(buyer_id))
    return {row.sku: row for row in (await conn.execute(stmt)).all()}
