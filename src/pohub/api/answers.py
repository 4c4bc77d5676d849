"""The hub's answers in the shapes and formats of Logicbroker's published definitions (v3 Swagger
document), for /api/v1 and /api/v3 alike.

Documents are kept exactly as received, and the hub accepts what the platform's clients send (a
date where the definitions say date-time, ``"SalesRequirement": "0"``, ``"LineNumber": 1``). What it
answers is the definitions' format: every field the definitions type is written in that type
(date-only values become midnight UTC date-times, a date-time without an offset gets ``Z``, numbers
given as strings become numbers, ``LineNumber`` a string), and a null is left out rather than sent
where the definitions expect a value. Fields the definitions do not know (the hub's own, or a
partner's) pass through untouched. The field table comes from the generated wire models, so it
follows the definitions they are generated from.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from pydantic import BaseModel, BeforeValidator

from pohub.core.ids import is_ascii_int
from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment
from pohub.documents.types import _parse_datetime
from pohub.orders.status import DOCUMENT_STATUSES

MODELS: dict[str, type[BaseModel]] = {
    "order": SalesOrder,
    "acknowledgement": Acknowledgement,
    "shipment": Shipment,
    "invoice": Invoice,
}
# Where a single document sits in its GET answer (GetSalesOrdersResponse, GetShipmentResponse,
# GetInvoiceResponse; LBMessage[Acknowledgement] puts the acknowledgement in Body itself).
SINGLE_HOLDER: dict[str, str | None] = {
    "order": "SalesOrder",
    "acknowledgement": None,
    "shipment": "Shipment",
    "invoice": "Invoice",
}
# The status a new document is in (``Default`` in /Statuses): an order waits to be acknowledged;
# the supplier's documents are applied to their order as they arrive (documents/store.py).
CREATED_IN = {"Order": 150, "Acknowledgement": 1000, "Shipment": 1000, "Invoice": 1000, "Return": 100}

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_NO_OFFSET = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")

# A field is one of these wire types, or a nested model; ``many`` when it is a list of them.
Field = tuple[str, type[BaseModel] | None, bool]


def _classify(annotation: Any) -> tuple[str, type[BaseModel] | None, bool]:
    """The wire type of a model field's annotation (Optional and Annotated unwrapped)."""
    many = False
    coerced = False
    tp = annotation
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            coerced = coerced or any(isinstance(m, BeforeValidator) for m in tp.__metadata__)
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else str
        elif origin is list:
            many = True
            tp = typing.get_args(tp)[0]
        elif origin is typing.Literal:
            values = typing.get_args(tp)
            tp = int if all(isinstance(v, int) for v in values) else str
        else:
            break
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "object", tp, many
    if tp is bool:
        return "boolean", None, many
    if tp is int:
        return "integer", None, many
    if tp in (Decimal, float):
        return "number", None, many
    if tp in (datetime, date):
        return "date-time", None, many
    # A string field the hub also takes in another type (LineNumber 1) must be written back as one.
    return ("coerced-string" if coerced else "string"), None, many


@cache
def fields_of(model: type[BaseModel]) -> dict[str, Field]:
    """Wire name -> (wire type, nested model, is a list) for every field of a wire model."""
    out: dict[str, Field] = {}
    for name, info in model.model_fields.items():
        out[info.alias or name] = _classify(info.annotation)
    return out


@cache
def _to_check(model: type[BaseModel]) -> dict[str, Field]:
    """The fields whose stored value may differ from the wire type. Plain strings cannot: the hub's
    models take only strings for them (a null is handled apart)."""
    return {name: spec for name, spec in fields_of(model).items() if spec[0] != "string" or spec[1] is not None}


def date_time(value: str) -> str:
    """A date or date-time as RFC 3339 (what format date-time means): a date is midnight UTC, a
    value without an offset is UTC (as the hub reads it)."""
    text = value.strip()
    if _RFC3339.fullmatch(text):
        return text
    if _NO_OFFSET.fullmatch(text):
        return text + "Z"
    if _DATE.fullmatch(text):
        return text + "T00:00:00Z"
    try:
        parsed: datetime = _parse_datetime(text)
    except ValueError:
        return value  # not a date at all: left as received rather than invented
    return parsed.isoformat()


def _scalar(kind: str, value: Any) -> Any:
    if kind == "date-time" and isinstance(value, str):
        return date_time(value)
    if kind == "integer" and isinstance(value, str) and is_ascii_int(value.strip(), signed=True):
        return int(value.strip())
    if kind == "number" and isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return value
        return number if number.is_finite() else value
    if kind in ("string", "coerced-string") and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def conform(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (changed in place and returned) with every field the model knows in its wire format."""
    # Search pages carry 100 documents of ~100 fields each: only fields that can be off are visited,
    # and the scan for nulls runs in C.
    if None in body.values():
        table = fields_of(model)
        for name in [k for k, v in body.items() if v is None and k in table]:
            del body[name]
    for name, (kind, nested, many) in _to_check(model).items():
        value = body.get(name)
        if value is None:
            continue
        if nested is not None:
            if type(value) is dict:
                conform(nested, value)
            elif many and type(value) is list:
                for item in value:
                    if type(item) is dict:
                        conform(nested, item)
        elif many:
            if type(value) is list:
                body[name] = [_scalar(kind, v) for v in value if v is not None]
        elif not _fits(kind, value):
            body[name] = _scalar(kind, value)
    return body


def _fits(kind: str, value: Any) -> bool:
    if kind == "date-time":
        return type(value) is str and _RFC3339.fullmatch(value) is not None
    if kind == "integer":
        return type(value) is int
    if kind == "number":
        return type(value) in (Decimal, int, float)
    if kind == "boolean":
        return type(value) is bool
    return type(value) is str


def document(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A rendered document as the definitions write it."""
    return conform(MODELS[kind], body)


def single(kind: str, body: dict[str, Any]) -> dict[str, Any] | Any:
    """What goes in ``Body`` for a single-document GET."""
    holder = SINGLE_HOLDER[kind]
    doc = document(kind, body)
    return doc if holder is None else {holder: doc}


def status(label: str, code: int) -> dict[str, Any]:
    """LBDocumentStatus: ``Status`` is the name; ``StatusCode`` (the hub's own) the code. There is
    no ``ErrorMessage`` unless there is an error (the definitions type it as a string, not null)."""
    return {"Status": label, "StatusCode": code}


def event(row: Any, link_key: str | None = None) -> dict[str, Any]:
    """LBActivityEvent (LogicbrokerKey an integer, no nulls)."""
    out = {
        "Id": row.id,
        "Date": row.created_at.isoformat(),
        "SenderId": row.sender_id,
        "ReceiverId": row.receiver_id,
        "LogicbrokerKey": row.document_id,
        "DocumentType": row.document_type,
        "LinkKey": link_key,
        "TypeId": row.type_id,
        "Level": row.level,
        "Category": row.category,
        "Summary": row.summary,
        "Details": row.details,
        "Processed": True,
        "Viewed": False,
    }
    return {k: v for k, v in out.items() if v is not None}


def statuses(
    document_type: str | None = None, *, table: dict[str, dict[int, str]] = DOCUMENT_STATUSES
) -> dict[str, Any]:
    """GetDocumentStatusesResponse: one DocumentTypeStatus per document type and status."""
    return {
        "DocumentTypeStatuses": [
            {
                "DocumentType": doc_type,
                "StatusId": code,
                "StatusDescription": name,
                "Default": code == CREATED_IN.get(doc_type),
            }
            for doc_type, codes in table.items()
            if document_type is None or doc_type.casefold() == document_type.casefold()
            for code, name in codes.items()
        ]
    }


def partner(row: Any, *, company_id: int) -> dict[str, Any]:
    """Partner: ``IsMerchant`` when the partner is the buyer of the relationship."""
    return {
        "Id": row.partner_id,
        "CompanyName": row.partner_name,
        "IsMerchant": row.buyer_id != company_id,
        "Status": "Active",
        "Type": "API",
        "Groups": [],
        "LastModified": row.created_at.isoformat(),
        "InvoiceRequired": bool(row.invoice_required),
    }
