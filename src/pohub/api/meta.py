"""Reference routes: status codes per document type, and a health check."""

from __future__ import annotations

from fastapi import APIRouter

from pohub.api import schemas as s
from pohub.api.http import JSON, message
from pohub.orders.status import DOCUMENT_STATUSES

router = APIRouter(tags=["Reference"])


@router.get("/Statuses", responses=s.DOCUMENT_RESPONSES)
async def statuses() -> JSON:
    """Every document type's status codes and names."""
    return message(
        200,
        "OK",
        {
            "DocumentTypeStatuses": [
                {
                    "DocumentType": doc_type,
                    "Statuses": [{"Code": code, "Name": name} for code, name in codes.items()],
                }
                for doc_type, codes in DOCUMENT_STATUSES.items()
            ]
        },
    )
