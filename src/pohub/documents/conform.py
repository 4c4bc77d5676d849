"""The Logicbroker definitions' wire types for stored documents: which fields each wire model
types, and ``conform``, which writes a stored body's fields in those types (see api/answers.py for
why). Here, below the API, so that an order's wire bytes can be rendered once when it is written
(documents/wire.py) by the same code that renders it when it is read."""

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

MODELS: dict[str, type[BaseModel]] = {
    "order": SalesOrder,
    "acknowledgement": Acknowledgement,
    "shipment": Shipment,
    "invoice": Invoice,
}
# Where a single document sits in its GET answer (GetSalesOrdersResponse, GetShipmentResponse,
# GetInvoiceResponse; LBMessage[Acknowledgement] puts the acknowledgement in Body itself).
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


# The types a stored value of each wire type already has when it needs no conforming (a date-time
# string must also read as RFC 3339).
_FITS: dict[str, tuple[type, ...]] = {
    "object": (),
    "date-time": (str,),
    "integer": (int,),
    "number": (Decimal, int, float),
    "boolean": (bool,),
    "string": (str,),
    "coerced-string": (str,),
}
# A field to check: its wire type, nested model, whether a list, and the types that fit as they are.
Check = tuple[str, type[BaseModel] | None, bool, tuple[type, ...]]


@cache
def _to_check(model: type[BaseModel]) -> dict[str, Check]:
    """The fields whose stored value may differ from the wire type. Plain strings cannot: the hub's
    models take only strings for them (a null is handled apart)."""
    return {
        name: (kind, nested, many, _FITS[kind])
        for name, (kind, nested, many) in fields_of(model).items()
        if kind != "string" or nested is not None
    }


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
    # Search pages carry 100 documents of ~100 fields each, and every order's template is rendered
    # when it is written: only the fields that can be off and that the body has are visited (the
    # intersection is taken in C; each field's value is conformed on its own, so their order is
    # immaterial), and the scan for nulls runs in C.
    if None in body.values():
        table = fields_of(model)
        for name in [k for k, v in body.items() if v is None and k in table]:
            del body[name]
    checks = _to_check(model)
    for name in checks.keys() & body.keys():
        value = body[name]
        if value is None:
            continue
        kind, nested, many, fits = checks[name]
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
        elif type(value) not in fits or (kind == "date-time" and _RFC3339.fullmatch(value) is None):
            body[name] = _scalar(kind, value)
    return body


def document(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A rendered document as the definitions write it."""
    return conform(MODELS[kind], body)
