"""The warehouse API's Inbound RMAs (seed 001: list, create, get, update, cancel, receipt lines)
mapped onto the hub's returns. The merchant (the buyer) creates an RMA for an order the business
unit (the supplier) shipped; the warehouse updates it (authorises, rejects, receives units); the
merchant cancels it. Every call that changes something is an exchange on the ``wms`` channel, and
the rules are the returns' own: this module only translates."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.core.errors import FieldError, NotFound, PohubError, Unprocessable
from pohub.dialects import common
from pohub.documents import kinds
from pohub.documents import repository as docs_repo
from pohub.exchanges.documents import applied, apply_canonical
from pohub.exchanges.inbound import Applied, Message, handler
from pohub.returns import repository as returns_repo
from pohub.returns import service as returns
from pohub.returns.status import ReturnStatus

CREATE = "wms.rma_create"
UPDATE = "wms.rma_update"
CANCEL = "wms.rma_cancel"

STATUS_NAMES = {status: status.name for status in ReturnStatus}  # REQUESTED, AUTHORISED, ...
# Hub field -> warehouse field, so that a refusal names what the caller sent.
FIELDS = {
    "ReturnNumber": "rmaNumber",
    "PartnerPO": "customerOrderNumber",
    "ReturnLines": "lines",
    "ReceiptLines": "receiptLines",
    "ReceiptNumber": "receiptNumber",
    "LineNumber": "customerLineNumber",
    "ItemIdentifier.SupplierSKU": "skuId",
    "Quantity": "quantity",
    "ReturnReasonCode": "reasonCode",
    "ReceiverCompanyId": "businessUnitId",
    "RMANumber": "authorisationNumber",
}
_LINE = re.compile(r"^(ReturnLines|ReceiptLines)\[(\d+)\]\.?(.*)$")


def wms_field(field: str) -> str:
    m = _LINE.match(field)
    if m:
        sub = FIELDS.get(m.group(3), m.group(3))
        return f"{FIELDS[m.group(1)]}[{m.group(2)}]" + (f".{sub}" if sub else "")
    return FIELDS.get(field, field)


def in_wms_words(exc: PohubError) -> PohubError:
    exc.errors = [FieldError(wms_field(e.field), e.error) for e in exc.errors]
    return exc


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    return body


def _lines(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    lines = body.get(name)
    if not isinstance(lines, list) or not lines:
        raise Unprocessable(f"{name} is required", [FieldError(name, "must list at least one line")])
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise Unprocessable(f"{name}[{i}] must be an object", [FieldError(f"{name}[{i}]", "must be an object")])
    return lines


def _line_ref(line: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if line.get("customerLineNumber") is not None:
        out["LineNumber"] = line["customerLineNumber"]
    if line.get("skuId") is not None:
        out["ItemIdentifier"] = {"SupplierSKU": line["skuId"]}
    return out


def return_of(body: Any, *, business_unit: str) -> dict[str, Any]:
    """An Inbound RMA as the canonical Return."""
    rma = _object(body)
    out: dict[str, Any] = {
        "ReturnNumber": rma.get("rmaNumber"),
        "PartnerPO": rma.get("customerOrderNumber"),
        "Note": rma.get("notes"),
        "ReturnLines": [
            {
                **_line_ref(line),
                "Quantity": line.get("quantity"),
                "ReturnReasonCode": line.get("reasonCode"),
                "ReturnReason": line.get("reason"),
            }
            for line in _lines(rma, "lines")
        ],
    }
    unit = common.ident(business_unit)
    if unit is not None:
        out["ReceiverCompanyId"] = unit
    return {k: v for k, v in out.items() if v is not None}


def rma_out(row: Any, lines: list[Any], order_lines: list[Any], details: Any) -> dict[str, Any]:
    """A return in the warehouse's shape."""
    by_id = {ol.id: ol for ol in order_lines}
    return {
        "id": str(row.id),
        "rmaNumber": row.number,
        "authorisationNumber": details.rma_number if details is not None else None,
        "customerOrderNumber": row.partner_po,
        "businessUnitId": str(row.receiver_company_id),
        "status": STATUS_NAMES[ReturnStatus(row.status)],
        "rejectionReason": details.rejection_reason if details is not None else None,
        "createdAt": common.iso(row.created_at),
        "lines": [
            {
                "customerLineNumber": by_id[rl.order_line_id].line_number,
                "skuId": by_id[rl.order_line_id].supplier_sku,
                "quantity": rl.quantity,
                "receivedQuantity": rl.qty_received,
                "creditedQuantity": rl.qty_credited,
                "condition": rl.condition,
                "reasonCode": rl.reason_code,
            }
            for rl in lines
        ],
    }


async def rma_document(conn: AsyncConnection, *, company_id: int, business_unit: str, rma_id: str) -> Any:
    """The return an RMA id names, seen by the caller and in the business unit, or 404."""
    ref = common.ident(rma_id)
    row = None if ref is None else await docs_repo.get_document(conn, doc_id=ref, company_id=company_id, kind="return")
    unit = common.ident(business_unit)
    if row is None or (unit is not None and row.receiver_company_id != unit):
        raise NotFound(f"No inbound RMA {rma_id!r} in business unit {business_unit}")
    return row


async def render(conn: AsyncConnection, row: Any) -> dict[str, Any]:
    lines = await returns_repo.lines_of(conn, return_id=row.id)
    order_lines = await docs_repo.order_lines_of(conn, order_id=row.order_id)
    details = (await returns_repo.details_of(conn, return_ids=[row.id])).get(row.id)
    return rma_out(row, lines, order_lines, details)


@handler(CREATE)
async def create(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    canonical = return_of(common.parsed(msg), business_unit=str(msg.params.get("business_unit") or ""))
    try:
        created = await apply_canonical(
            conn, spec=kinds.RETURN, company_id=msg.company_id, raw=jsonio.dumps(canonical), path_key=None
        )
    except PohubError as exc:
        raise in_wms_words(exc) from None
    return applied(created, kinds.RETURN.name)


@handler(UPDATE)
async def update(conn: AsyncConnection, msg: Message) -> Applied:
    """The warehouse's update: {status: AUTHORISED, authorisationNumber} | {status: REJECTED, reason} |
    {receiptNumber, receiptLines: [{customerLineNumber | skuId, quantity, condition}]} (a receiptNumber
    is applied once: the same one again is a 409 naming it)."""
    assert msg.company_id is not None
    body = _object(common.parsed(msg))
    row = await rma_document(
        conn,
        company_id=msg.company_id,
        business_unit=str(msg.params["business_unit"]),
        rma_id=str(msg.params["rma_id"]),
    )
    key = str(row.id)
    status = str(body.get("status") or "").strip().upper()
    try:
        if "receiptLines" in body:
            receipt: dict[str, Any] = {
                "ReceiptLines": [
                    {**_line_ref(x), "Quantity": x.get("quantity"), "Condition": x.get("condition")}
                    for x in _lines(body, "receiptLines")
                ]
            }
            if body.get("receiptNumber") is not None:
                receipt["ReceiptNumber"] = body["receiptNumber"]
            created = await returns.receive(conn, company_id=msg.company_id, key=key, raw=jsonio.dumps(receipt))
        elif status == "AUTHORISED" or status == "AUTHORIZED":
            auth = {"RMANumber": body.get("authorisationNumber") or body.get("authorizationNumber")}
            created = await returns.authorise(conn, company_id=msg.company_id, key=key, raw=jsonio.dumps(auth))
        elif status == "REJECTED":
            created = await returns.reject(
                conn, company_id=msg.company_id, key=key, raw=jsonio.dumps({"Reason": body.get("reason")})
            )
        else:
            raise Unprocessable(
                "Nothing to update",
                [FieldError("status", "must be AUTHORISED or REJECTED, or give receiptLines")],
            )
    except PohubError as exc:
        exc.order_id = exc.order_id or row.order_id
        raise in_wms_words(exc) from None
    return Applied(document_id=created.key, order_id=created.order_id, partner_id=created.partner_id, kind="return")


@handler(CANCEL)
async def cancel(conn: AsyncConnection, msg: Message) -> Applied:
    assert msg.company_id is not None
    row = await rma_document(
        conn,
        company_id=msg.company_id,
        business_unit=str(msg.params["business_unit"]),
        rma_id=str(msg.params["rma_id"]),
    )
    try:
        created = await returns.cancel(conn, company_id=msg.company_id, key=str(row.id))
    except PohubError as exc:
        exc.order_id = exc.order_id or row.order_id
        raise
    return Applied(document_id=created.key, order_id=created.order_id, partner_id=created.partner_id, kind="return")
