"""Reference routes: status codes per document type, and a health check."""

from __future__ import annotations

from fastapi import APIRouter

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.http import JSON, message
from pohub.changes.status import CHANGE_STATUS_NAMES
from pohub.core.errors import FieldError, NotFound
from pohub.orders.status import DOCUMENT_STATUSES
from pohub.returns.status import RETURN_STATUS_NAMES

router = APIRouter(tags=["Reference"])


# The order's and the platform's documents', then the hub's own lifecycles (returns, changes).
STATUSES: dict[str, dict[int, str]] = {
    **DOCUMENT_STATUSES,
    "Return": {int(k): v for k, v in RETURN_STATUS_NAMES.items()},
    "Change": {int(k): v for k, v in CHANGE_STATUS_NAMES.items()},
}


@router.get("/Statuses", responses=s.DOCUMENT_RESPONSES)
async def statuses() -> JSON:
    """Every document type's status codes (StatusId) and names (StatusDescription)."""
    return message(200, "OK", answers.statuses(table=STATUSES))


@router.get("/Statuses/{documentType}", responses=s.DOCUMENT_RESPONSES)
async def statuses_of(documentType: str) -> JSON:
    """One document type's statuses (Order, Acknowledgement, Shipment, Invoice, Return, Change)."""
    body = answers.statuses(documentType, table=STATUSES)
    if not body["DocumentTypeStatuses"]:
        known = ", ".join(answers.CREATED_IN)
        raise NotFound(f"No document type {documentType!r}", [FieldError("documentType", f"must be one of {known}")])
    return message(200, "OK", body)
