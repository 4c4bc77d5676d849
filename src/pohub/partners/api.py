"""GET /Partners: the companies the caller trades with."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pohub.api import answers
from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message
from pohub.partners import repository as repo

router = APIRouter(tags=["Partners"])


@router.get("/Partners", responses=s.DOCUMENT_RESPONSES)
async def partners(request: Request, company_id: CompanyDep) -> JSON:
    """The caller's trading partners (Partner: Id, CompanyName, IsMerchant, Status, ...); the ids are the
    SenderCompanyId / ReceiverCompanyId of their documents."""
    async with request.app.state.db.read() as conn:
        rows = await repo.partners_of(conn, company_id)
    # The caller's own id beside its partners (an agent finds itself by it; the definition allows more).
    body = {"CompanyId": company_id, "Partners": [answers.partner(row, company_id=company_id) for row in rows]}
    return message(200, "OK", body)
