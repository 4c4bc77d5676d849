"""The hub's answers in the shapes and formats of Logicbroker's published definitions (v3 Swagger
document), for /api/v1 and /api/v3 alike.

Documents are kept exactly as received, and the hub accepts what the platform's clients send (a
date where the definitions say date-time, ``"SalesRequirement": "0"``, ``"LineNumber": 1``). What it
answers is the definitions' format: every field the definitions type is written in that type
(date-only values become midnight UTC date-times, a date-time without an offset gets ``Z``, numbers
given as strings become numbers, ``LineNumber`` a string), and a null is left out rather than sent
where the definitions expect a value. Fields the definitions do not know (the hub's own, or a
partner's) pass through untouched. The field table comes from the generated wire models, so it
follows the definitions they are generated from.
"""

from __future__ import annotations

from typing import Any

from pohub.documents.conform import MODELS, conform, date_time, document, fields_of
from pohub.orders.status import DOCUMENT_STATUSES

__all__ = ["MODELS", "conform", "date_time", "document", "fields_of"]

SINGLE_HOLDER: dict[str, str | None] = {
    "order": "SalesOrder",
    "acknowledgement": None,
    "shipment": "Shipment",
    "invoice": "Invoice",
}
# The status a new document is in (``Default`` in /Statuses): an order waits to be acknowledged;
# the supplier's documents are applied to their order as they arrive (documents/store.py).
CREATED_IN = {"Order": 150, "Acknowledgement": 1000, "Shipment": 1000, "Invoice": 1000, "Return": 100}


def single(kind: str, body: dict[str, Any]) -> dict[str, Any] | Any:
    """What goes in ``Body`` for a single-document GET."""
    holder = SINGLE_HOLDER[kind]
    doc = document(kind, body)
    return doc if holder is None else {holder: doc}


def status(label: str, code: int) -> dict[str, Any]:
    """LBDocumentStatus: ``Status`` is the name; ``StatusCode`` (the hub's own) the code. There is
    no ``ErrorMessage`` unless there is an error (the definitions type it as a string, not null)."""
    return {"Status": label, "StatusCode": code}


def event(row: Any, link_key: str | None = None) -> dict[str, Any]:
    """LBActivityEvent (LogicbrokerKey an integer, no nulls)."""
    out = {
        "Id": row.id,
        "Date": row.created_at.isoformat(),
        "SenderId": row.sender_id,
        "ReceiverId": row.receiver_id,
        "LogicbrokerKey": row.document_id,
        "DocumentType": row.document_type,
        "LinkKey": link_key,
        "TypeId": row.type_id,
        "Level": row.level,
        "Category": row.category,
        "Summary": row.summary,
        "Details": row.details,
        "Processed": True,
        "Viewed": False,
    }
    return {k: v for k, v in out.items() if v is not None}


def statuses(
    document_type: str | None = None, *, table: dict[str, dict[int, str]] = DOCUMENT_STATUSES
) -> dict[str, Any]:
    """GetDocumentStatusesResponse: one DocumentTypeStatus per document type and status."""
    return {
        "DocumentTypeStatuses": [
            {
                "DocumentType": doc_type,
                "StatusId": code,
                "StatusDescription": name,
                "Default": code == CREATED_IN.get(doc_type),
            }
            for doc_type, codes in table.items()
            if document_type is None or doc_type.casefold() == document_type.casefold()
            for code, name in codes.items()
        ]
    }


def partner(row: Any, *, company_id: int) -> dict[str, Any]:
    """Partner: ``IsMerchant`` when the partner is the buyer of the relationship."""
    return {
        "Id": row.partner_id,
        "CompanyName": row.partner_name,
        "IsMerchant": row.buyer_id != company_id,
        "Status": "Active",
        "Type": "API",
        "Groups": [],
        "LastModified": row.created_at.isoformat(),
        "InvoiceRequired": bool(row.invoice_required),
    }
