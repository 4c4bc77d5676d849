"""GET /Partners: the companies the caller trades with."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message
from pohub.partners import repository as repo

router = APIRouter(tags=["Partners"])


@router.get("/Partners", responses=s.DOCUMENT_RESPONSES)
async def partners(request: Request, company_id: CompanyDep) -> JSON:
    """The caller's connected companies, with their ids (for SenderCompanyId / ReceiverCompanyId)."""
    async with request.app.state.db.read() as conn:
        rows = await repo.partners_of(conn, company_id)
        me = await repo.company_by_id(conn, company_id)
    return message(
        200,
        "OK",
        {
            "CompanyId": company_id,
            "CompanyName": me.name if me else None,
            "Partners": [
                {
                    "CoId": row.partner_id,
                    "CompanyName": row.partner_name,
                    "Relationship": "Supplier" if row.buyer_id == company_id else "Buyer",
                    "InvoiceRequired": bool(row.invoice_required),
                }
                for row in rows
            ],
        },
    )
