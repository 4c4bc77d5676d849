"""GET/POST/PUT /api/v1/EdiPartners: the EDI profiles of the caller's trading relationships."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pohub.api import schemas as s
from pohub.api.auth import CompanyDep
from pohub.api.http import JSON, message, read_body
from pohub.core import jsonio
from pohub.core.errors import FieldError, Unprocessable
from pohub.dialects.common import ident
from pohub.edi.partners import service

router = APIRouter(tags=["EDI partners"])


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
    values = service.profile_values(body)
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


@router.put("/EdiPartners/{PartnerId}", responses=s.DOCUMENT_RESPONSES)
async def edit_partner(PartnerId: int, request: Request, company_id: CompanyDep) -> JSON:
    """Change a profile: the fields given replace its own (null: back to the default), the rest stay,
    control numbers go on. Standard, EdiCompanyId and CounterpartyId are fixed (add a new profile)."""
    body = jsonio.loads(await read_body(request))
    values = service.profile_values(body)
    fixed = [k for k in ("EdiCompanyId", "CounterpartyId") if k in body]
    if fixed:
        raise Unprocessable(
            "A profile's companies cannot change",
            [FieldError(k, "is fixed for the profile's life: add a new profile instead") for k in fixed],
        )
    async with request.app.state.db.write() as conn:
        updated = await service.edit_partner(conn, partner_id=PartnerId, values=values, caller_id=company_id)
    return message(200, "OK", service.wire(updated))


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
