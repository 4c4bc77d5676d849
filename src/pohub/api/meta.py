"""Reference routes: status codes per document type, and a health check."""

from __future__ import annotations

from fastapi import APIRouter

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.http import JSON, message
from pohub.core.errors import FieldError, NotFound

router = APIRouter(tags=["Reference"])


@router.get("/Statuses", responses=s.DOCUMENT_RESPONSES)
async def statuses() -> JSON:
    """Every document type's status codes (StatusId) and names (StatusDescription)."""
    return message(200, "OK", answers.statuses())


@router.get("/Statuses/{documentType}", responses=s.DOCUMENT_RESPONSES)
async def statuses_of(documentType: str) -> JSON:
    """One document type's statuses (Order, Acknowledgement, Shipment, Invoice)."""
    body = answers.statuses(documentType)
    if not body["DocumentTypeStatuses"]:
        known = ", ".join(answers.CREATED_IN)
        raise NotFound(f"No document type {documentType!r}", [FieldError("documentType", f"must be one of {known}")])
    return message(200, "OK", body)
