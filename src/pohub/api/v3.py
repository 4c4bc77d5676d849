"""Operations of Logicbroker's published v3 document that pohub's v1 routes did not have: the
status and the activity events of a single acknowledgement, shipment or invoice.

The whole API is served under both ``/api/v1`` and ``/api/v3`` (the platform publishes the same
paths under each version); the table of what is served and what is not is in the README.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message
from pohub.documents import repository as repo
from pohub.orders.status import DOCUMENT_STATUSES

router = APIRouter()
# kind, its path segment, the document type name, and how the document spells ``/status``.
_KINDS = (
    ("acknowledgement", "Acknowledgements", "Acknowledgement", "Status"),
    ("shipment", "Shipments", "Shipment", "status"),
    ("invoice", "Invoices", "Invoice", "Status"),
)


async def _document(request: Request, *, company_id: int, kind: str, key: str) -> Any:
    async with request.app.state.db.read() as conn:
        return await repo.document_by_key(conn, key=key, company_id=company_id, kind=kind)


def _routes(kind: str, plural: str, doc_type: str, status_segment: str) -> None:
    async def document_status(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        row = await _document(request, company_id=company_id, kind=kind, key=LogicbrokerKey)
        code = int(row.status)
        return message(200, "OK", answers.status(DOCUMENT_STATUSES[doc_type].get(code, str(code)), code))

    async def document_events(LogicbrokerKey: str, request: Request, company_id: CompanyDep) -> JSON:
        row = await _document(request, company_id=company_id, kind=kind, key=LogicbrokerKey)
        order_id = row.order_id
        async with request.app.state.db.read() as conn:
            rows = [] if order_id is None else await repo.events_of_order(conn, order_id=order_id)
        link = None if order_id is None else str(order_id)
        mine = [answers.event(e, link) for e in rows if e.document_id == row.id]
        return message(200, "OK", {"ActivityEvents": mine, "TotalPages": 1})

    document_status.__doc__ = f"The {kind}'s status (Status is its name, StatusCode its code)."
    document_status.__name__ = f"{kind}_status"
    document_events.__doc__ = f"The activity events about this {kind}, oldest first."
    document_events.__name__ = f"{kind}_events"
    router.add_api_route(
        f"/{plural}/{{LogicbrokerKey}}/{status_segment}",
        document_status,
        methods=["GET"],
        responses=s.STATUS_RESPONSES,
        tags=[plural],
    )
    if kind != "acknowledgement":  # the document has no /Acknowledgements/{key}/Events
        router.add_api_route(
            f"/{plural}/{{LogicbrokerKey}}/Events",
            document_events,
            methods=["GET"],
            responses=s.EVENTS_RESPONSES,
            tags=[plural],
        )


for _kind, _plural, _type, _segment in _KINDS:
    _routes(_kind, _plural, _type, _segment)
