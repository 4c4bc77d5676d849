"""Everything the order page (and the pages hanging off it) shows about one order, in one read."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from pohub.core import clock
from pohub.documents import kinds
from pohub.documents import repository as repo
from pohub.inventory import service as inventory
from pohub.orders import service as orders
from pohub.web import doc_kinds, forms, queries, views
from pohub.web.session import Session


async def order_context(request: Request, session: Session, key: str) -> dict[str, Any]:
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        row, lines = await orders.get_order(conn, company_id=session.company_id, key=key)
        # Inventory feed (docs/inventory.md): the supplier's published stock of these SKUs, for the buyer.
        stock = await inventory.stock_for_order(conn, order=row, lines=lines, company_id=session.company_id)
        docs = await repo.documents_of_order(conn, order_id=row.id)
        timeline = await repo.events_of_order(conn, order_id=row.id)
        names = await queries.company_names(conn, {row.sender_company_id, row.receiver_company_id})
        own_refusals = await queries.form_refusals(conn, order_id=row.id, company_id=session.company_id)
        shown = [d for d in docs if d.kind in doc_kinds.VIEWS]
        edi = await queries.edi_exchanges(conn, document_ids=[d.id for d in shown], company_id=session.company_id)
    is_supplier = row.receiver_company_id == session.company_id
    acks = [views.body_of(d) for d in docs if d.kind == kinds.ACKNOWLEDGEMENT.name]
    events_and_refusals: list[Any] = [*timeline, *own_refusals]
    events_and_refusals.sort(key=lambda e: clock.aware(e.created_at))
    return {
        "stock": stock,  # inventory feed: one query, shown by the "Supplier's stock" block of order.html
        "order": row,
        "lines": lines,
        "bars": {line.id: views.bar(line) for line in lines},
        "backorder_dates": views.backorder_dates(acks, lines),
        "head": views.header(views.body_of(row)),
        "ship_by": views.ship_by(views.body_of(row)),
        "doc_specs": doc_kinds.ORDER_DOCS,
        "docs": {
            spec.kind.name: [doc_kinds.document(d) for d in docs if d.kind == spec.kind.name]
            for spec in doc_kinds.ORDER_DOCS
        },
        "edi": edi,
        "counts": {kind: sum(1 for d in docs if d.kind == kind) for kind in (kinds.RETURN.name, kinds.CHANGE.name)},
        "billable": sum(forms.billable(line) for line in lines),
        "returnable": sum(int(line.qty_shipped) for line in lines),
        "timeline": list(reversed(events_and_refusals)),
        "names": names,
        "is_supplier": is_supplier,
        "is_open": views.is_open(row.status),
        "next_statuses": views.next_statuses(
            row.status,
            party="supplier" if is_supplier else "buyer",
            units_shipped=sum(int(line.qty_shipped) for line in lines),
        ),
        "final_moves": [int(s) for s in views.FINAL_MOVES],
        "nav": "orders",
    }
