"""GET/POST /api/v1/EdiPartners: the EDI profiles of the caller's trading relationships."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, read_body
from pohub.core import jsonio
from pohub.core.errors import BadRequest, FieldError, Unprocessable
from pohub.dialects.common import ident
from pohub.edi.partners import service

router = APIRouter(tags=["EDI partners"])


def _values(body: Any) -> dict[str, Any]:
    """The profile fields of a request body, by their Python names; an unknown field is a 422."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object")
    known = set(service.WIRE_FIELDS) | {"EdiCompanyId", "CounterpartyId"}
    unknown = [k for k in body if k not in known]
    if unknown:
        raise Unprocessable(
            "Unknown fields in the EDI partner profile",
            [FieldError(k, f"is not a profile field ({', '.join(sorted(known))})") for k in unknown],
        )
    return {service.WIRE_FIELDS[k]: v for k, v in body.items() if k in service.WIRE_FIELDS}


@router.get("/EdiPartners", responses=s.DOCUMENT_RESPONSES)
async def list_partners(request: Request, company_id: CompanyDep) -> JSON:
    """The EDI profiles of the relationships the caller is in (either side)."""
    async with request.app.state.db.read() as conn:
        found = await service.profiles_of(conn, company_id=company_id)
    return message(200, "OK", [service.wire(p) for p in found])


@router.post("/EdiPartners", responses=s.DOCUMENT_RESPONSES, status_code=201)
async def add_partner(request: Request, company_id: CompanyDep) -> JSON:
    """Set up the EDI side of a relationship: EdiCompanyId (the company that speaks EDI, by default
    the caller) trades with CounterpartyId in Standard/Version under the identities given."""
    body = jsonio.loads(await read_body(request))
    values = _values(body)
    edi_company = ident(body.get("EdiCompanyId", company_id))
    counterparty = ident(body.get("CounterpartyId"))
    if edi_company is None:
        raise Unprocessable("EdiCompanyId is invalid", [FieldError("EdiCompanyId", "must be a company id")])
    if counterparty is None:
        raise Unprocessable("CounterpartyId is required", [FieldError("CounterpartyId", "must be a company id")])
    async with request.app.state.db.write() as conn:
        created = await service.add_partner(
            conn, edi_company_id=edi_company, counterparty_id=counterparty, values=values, caller_id=company_id
        )
    return message(201, "Created", service.wire(created))


@router.put("/EdiPartners/{PartnerId}/Guide", responses=s.DOCUMENT_RESPONSES)
async def set_guide(PartnerId: int, request: Request, company_id: CompanyDep) -> JSON:
    """The partner's implementation guide, per set: {"850": {"Require": ["REF*DP"], "Codes":
    {"PO103": ["EA"]}}}. Checked on what the partner sends and on what pohub sends it; {} clears it."""
    body = jsonio.loads(await read_body(request))
    if not isinstance(body, dict):
        raise Unprocessable("The guide is not an object", [FieldError("Guide", "must be {set: {Require, Codes}}")])
    async with request.app.state.db.write() as conn:
        updated = await service.set_guide(conn, partner_id=PartnerId, guide=body, caller_id=company_id)
    return message(200, "OK", service.wire(updated))
