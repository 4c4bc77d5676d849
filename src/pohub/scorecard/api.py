"""GET /api/v1/Scorecard: the dashboard's scorecard figures for machines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.scorecard.schemas import ScorecardMessage, to_wire
from pohub.scorecard.service import scorecard

router = APIRouter(tags=["Scorecard"])


@router.get(
    "/Scorecard",
    response_model=ScorecardMessage,
    responses={k: v for k, v in s.DOCUMENT_RESPONSES.items() if k != 200},
)
async def get_scorecard(
    request: Request,
    company_id: CompanyDep,
    days: Annotated[int, Query(ge=1, le=366, description="Window in days, today included (30 or 90)")] = 30,
) -> ScorecardMessage:
    """Per trading partner: acknowledgement time (median, 90th percentile, share within 24 h), fill
    rate, cancellation rate, on-time shipment, time to invoice, and POs received / completed per day."""
    async with request.app.state.db.read() as conn:
        card = await scorecard(conn, company_id=company_id, days=days)
    return to_wire(card)
