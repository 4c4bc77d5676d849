"""What every inbound document goes through before its own rules: parse, validate, find and lock
its order, check the parties, and apply the duplicate rule."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import jsonio
from pohub.core.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable, invalid
from pohub.db import unit_cache
from pohub.db.together import Branch, Together
from pohub.documents import repository as repo
from pohub.documents.models import documents, kind_literal, order_lines
from pohub.documents.types import MONEY_PLACES, line_key, validate_received
from pohub.partners import pairs

M = TypeVar("M", bound=BaseModel)
D = documents.c
L = order_lines.c


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def validation_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(_path(loc), msg))
    return errors


@dataclass
class Inbound(Generic[M]):
    """A received document: its bytes, its parsed JSON, its model, a hash of its content, and
    whether every number in it survives the float path (jsonio.float_safe)."""

    raw: bytes
    data: dict[str, Any]
    doc: M
    body_hash: str
    float_safe: bool


def parse(raw: bytes, model: type[M]) -> Inbound[M]:
    """JSON -> model, or a 400/422 naming every bad field."""
    # parse_received and then the digest, in one call (its text also serves parse's own checks);
    # the digest says whether the fast road may validate the body (types.validate_received).
    data, body_hash, float_safe, short = jsonio.parse_digest(raw, places=MONEY_PLACES)
    if not isinstance(data, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    try:
        # parse_received refused a NUL anywhere in the body: the model's NoNul checks are left out.
        doc = validate_received(model, data, short=short)
    except ValidationError as exc:
        raise Unprocessable(f"The {model.__name__} is not valid", validation_errors(exc)) from None
    return Inbound(raw, data, doc, body_hash, float_safe)


def present(value: Any) -> bool:
    """What a required field must be: not None, not a blank string, not an empty list."""
    return not (value is None or (isinstance(value, str) and not value.strip()) or value == [])


def require(value: Any, field: str, what: str = "is required") -> Any:
    if not present(value):
        raise invalid(field, what)
    return value


async def order_for_document(
    conn: AsyncConnection,
    *,
    company_id: int,
    kind: str,
    path_key: str | None,
    doc: Any,
) -> LockedOrder:
    """The order a supplier's document belongs to, locked; every party and state rule checked."""
    cache = unit_cache.of(conn)
    # On SQLite the order's row comes with its partnership (repository.lock_order_and_link), read
    # only once the parties are checked, as on PostgreSQL, where it is looked up after the lock.
    lock = repo.lock_order_and_link if (cache.sqlite if cache is not None else conn.dialect.name == "sqlite") else None
    key = order_key(path_key, doc)
    if key:
        order_id = repo.parse_key(key)
        order = None if order_id is None else await (lock or repo.lock_order)(conn, doc_id=order_id)
        if order is None or company_id not in (order.sender_company_id, order.receiver_company_id):
            raise NotFound(f"No order with LogicbrokerKey {key!r}")
    elif doc.partner_po:
        matches = await repo.find_orders_by_po(
            conn, partner_po=doc.partner_po, receiver_id=company_id, sender_id=doc.receiver_company_id
        )
        if not matches:
            raise NotFound(f"No order with PartnerPO {doc.partner_po!r} sent to you")
        if len(matches) > 1:
            raise invalid("Identifier.LinkKey", "is required: PartnerPO matches orders from several buyers")
        order = await (lock or repo.lock_order)(conn, doc_id=matches[0].id)
    else:
        raise invalid("Identifier.LinkKey", "or PartnerPO is required to link the document to its order")

    check_parties(order, doc, company_id=company_id, kind=kind)  # so the order's supplier is company_id
    if lock is not None:
        connected = order.link_id is not None
        invoice_required = bool(order.invoice_required)
    else:
        # With the pair's webhook subscriptions and EDI profiles, which its events look up (partners/pairs.py).
        link = await pairs.partnership(conn, buyer_id=order.sender_company_id, supplier_id=company_id)
        connected = link is not None
        invoice_required = connected and bool(link.invoice_required)
    if not connected:
        raise Forbidden(f"Companies {order.sender_company_id} and {company_id} are not connected")
    return LockedOrder(
        order.id,
        order.status,
        order.sender_company_id,
        order.receiver_company_id,
        order.partner_po,
        invoice_required,
    )


def order_key(path_key: str | None, doc: Any) -> str | None:
    """The key of the order a document names: the URL's, else its Identifier.LinkKey (both given
    must agree); None when it names neither (then its PartnerPO must)."""
    identifier = getattr(doc, "identifier", None)
    link_key = identifier.link_key if identifier is not None else None
    if path_key is not None and link_key and link_key.strip() != path_key.strip():
        raise invalid("Identifier.LinkKey", f"is {link_key!r} but the URL names order {path_key!r}")
    return path_key if path_key is not None else link_key


def check_parties(order: Any, doc: Any, *, company_id: int, kind: str) -> None:
    """Only the order's supplier sends documents for it, as itself, to the order's buyer, about
    the order's PartnerPO."""
    if order.receiver_company_id != company_id:
        raise Forbidden(f"Only the order's supplier (company {order.receiver_company_id}) sends {kind}s for it")
    if doc.sender_company_id is not None and doc.sender_company_id != company_id:
        raise Forbidden(
            f"SenderCompanyId {doc.sender_company_id} is not your company ({company_id})",
            [FieldError("SenderCompanyId", "must be the company of the API key")],
        )
    if doc.receiver_company_id is not None and doc.receiver_company_id != order.sender_company_id:
        raise invalid("ReceiverCompanyId", f"must be the order's buyer ({order.sender_company_id})")
    if doc.partner_po is not None and doc.partner_po != order.partner_po:
        raise invalid("PartnerPO", f"{doc.partner_po!r} does not match the order's PartnerPO {order.partner_po!r}")


class LockedOrder(NamedTuple):
    """The order a document applies to, locked for this unit of work, with its trading terms (a
    named tuple: a frozen dataclass's __init__ costs three times as much, once a document)."""

    id: int
    status: int
    sender_company_id: int
    receiver_company_id: int
    partner_po: str | None
    invoice_required: bool


@dataclass(frozen=True)
class Duplicate:
    """The document was received before: answer with the first one's key and change nothing."""

    key: int


async def duplicate_of(
    conn: AsyncConnection,
    *,
    order_id: int,
    kind: str,
    sender_id: int,
    number: str | None,
    body_hash: str,
    number_field: str,
) -> tuple[Duplicate | None, list[Any]]:
    """Apply the duplicate rule; also return the order's earlier documents of this kind."""
    earlier = await repo.numbered_documents(conn, order_id=order_id, kind=kind)
    return find_duplicate(
        earlier, sender_id=sender_id, number=number, body_hash=body_hash, number_field=number_field
    ), earlier


# What the kinds' rules, the duplicate rule and orders/apply read of the order's lines: the rest
# (its partner SKU, description, unit, requested ship date, change time) no rule looks at, and
# reading ten lines' 21 columns cost more than the statement (sqlite3 makes every value an object;
# two times and two decimals a line go through their result processors). A rule that needs
# another column adds it here.
RULE_LINE_COLUMNS = (
    L.id,
    L.line_number,
    L.line_key,
    L.supplier_sku,
    L.price,
    L.quantity,
    L.qty_accepted,
    L.qty_backordered,
    L.qty_cancelled,
    L.qty_shipped,
    L.qty_invoiced,
    L.ack_price,
    L.change_reason,
)


# The earlier documents and the order's lines, read together once the order is locked (never in
# the lock's own statement: under READ COMMITTED a SELECT ... FOR UPDATE that waited re-reads only
# the locked row, a read joined to it would see the snapshot taken before the wait).
# One statement a kind, the kinds as literals (models.kind_literal).
@functools.cache
def _earlier_and_lines(kind: str) -> Together:
    return Together(
        [
            Branch(
                (D.id, D.number, D.sender_company_id, D.body_hash),
                and_(
                    D.order_id == bindparam("order_id"), D.kind == kind_literal(kind), D.kind != kind_literal("order")
                ),
                order=D.id,
            ),
            Branch(RULE_LINE_COLUMNS, L.order_id == bindparam("order_id"), order=L.position),
        ]
    )


async def duplicate_and_lines(
    conn: AsyncConnection,
    *,
    order_id: int,
    kind: str,
    sender_id: int,
    number: str | None,
    body_hash: str,
    number_field: str,
) -> tuple[Duplicate | None, list[Any], list[Any]]:
    """As duplicate_of, with the order's lines (repository.order_lines_of's rows, RULE_LINE_COLUMNS
    of them) read in the same statement."""
    earlier, lines = await _earlier_and_lines(kind).all(conn, {"order_id": order_id})
    dup = find_duplicate(earlier, sender_id=sender_id, number=number, body_hash=body_hash, number_field=number_field)
    return dup, earlier, lines


def find_duplicate(
    earlier: list[Any], *, sender_id: int, number: str | None, body_hash: str, number_field: str
) -> Duplicate | None:
    """The duplicate rule: the same number from the same sender is the same document when the
    body is the same (answer with it), and a conflict when it is not (documents are immutable)."""
    if number is None:
        return None
    for row in earlier:
        if row.number == number and row.sender_company_id == sender_id:
            if row.body_hash == body_hash:
                return Duplicate(row.id)
            raise Conflict(
                f"{number_field} {number!r} was already used for this order by document {row.id} "
                "with a different body; documents are immutable, send a new number",
                [FieldError(number_field, "must be unique per order")],
                extra={"LogicbrokerKey": str(row.id)},
            )
    return None


def match_lines(order_lines: list[Any], doc_lines: list[Any], field: str) -> list[tuple[int, Any, Any]]:
    """Pair each document line with its order line: by LineNumber ("01" = "1" = 1), else by
    SupplierSKU. Returns (index, document line, order line)."""
    line_of = {line.line_key: line for line in order_lines}.get
    out = []
    for i, dl in enumerate(doc_lines):
        identifier = getattr(dl, "item_identifier", None)
        sku = identifier.supplier_sku if identifier is not None else None
        number = dl.line_number
        if number is not None:
            line = line_of(line_key(number))
            if line is None:
                known = ", ".join(ln.line_number for ln in order_lines)
                raise invalid(f"{field}[{i}].LineNumber", f"the order has no line {dl.line_number!r} (lines: {known})")
            if sku and line.supplier_sku and sku != line.supplier_sku:
                raise invalid(
                    f"{field}[{i}].ItemIdentifier.SupplierSKU",
                    f"{sku!r} does not match line {line.line_number}'s SupplierSKU {line.supplier_sku!r}",
                )
        elif sku:
            found = [ln for ln in order_lines if ln.supplier_sku == sku]
            if len(found) != 1:
                why = "matches no line" if not found else "matches several lines; give LineNumber"
                raise invalid(f"{field}[{i}].ItemIdentifier.SupplierSKU", f"{sku!r} {why}")
            line = found[0]
        else:
            raise invalid(f"{field}[{i}].LineNumber", "or ItemIdentifier.SupplierSKU is required")
        out.append((i, dl, line))
    return out
