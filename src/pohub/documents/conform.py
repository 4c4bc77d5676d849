"""The Logicbroker definitions' wire types for stored documents: which fields each wire model
types, and ``conform``, which writes a stored body's fields in those types (see api/answers.py for
why). Here, below the API, so that an order's wire bytes can be rendered once when it is written
(documents/wire.py) by the same code that renders it when it is read."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any, NamedTuple

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


# The types a stored value of each wire type already has when it needs no conforming. A
# date-time string must also read as RFC 3339: every one goes to its converter (_date_time).
_FITS: dict[str, tuple[type, ...]] = {
    "object": (),
    "date-time": (),
    "integer": (int,),
    "number": (Decimal, int, float),
    "boolean": (bool,),
    "string": (str,),
    "coerced-string": (str,),
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


# Orders carry the same few dates over and over (and a PO's body a dozen): a date's RFC 3339 form
# is kept rather than matched again (three regular expressions for a bare date).
_date_time_of = lru_cache(maxsize=4096)(date_time)


def _date_time(value: Any) -> Any:
    return _date_time_of(value) if isinstance(value, str) else value


def _integer(value: Any) -> Any:
    if isinstance(value, str) and is_ascii_int(value.strip(), signed=True):
        return int(value.strip())
    return value


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value
    return number if number.is_finite() else value


def _string(value: Any) -> Any:
    return str(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else value


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _same(value: Any) -> Any:
    return value


# What each wire type makes of a stored value that may be off (a value it cannot read stays).
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "object": _same,
    "date-time": _date_time,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "string": _string,
    "coerced-string": _string,
}


def _scalar(kind: str, value: Any) -> Any:
    return _CONVERT[kind](value)


# A field's step: the plan of its nested model (None for a scalar), whether a list, the types that
# fit as they are, and the converter of a value that does not.
Step = tuple["_Plan | None", bool, tuple[type, ...], Callable[[Any], Any]]


class _Plan(NamedTuple):
    """How to conform a body of one model: the fields it knows (a null one is dropped), and the
    fields whose stored value may differ from the wire type, each with its step."""

    fields: dict[str, Field]
    steps: dict[str, Step]


@cache
def _plan(model: type[BaseModel], nulls: bool) -> _Plan:
    """The plan of a model, for bodies that may hold nulls or hold none. Plain strings are not
    visited: the hub's models take only strings for them (a null is handled apart). Without nulls
    a nested model with nothing to conform at any depth is not visited either (the definitions'
    models do not nest themselves, so this ends)."""
    steps: dict[str, Step] = {}
    for name, (kind, nested, many) in fields_of(model).items():
        if nested is not None:
            sub = _plan(nested, nulls)
            if nulls or sub.steps:
                steps[name] = (sub, many, (), _same)
        elif kind != "string":
            steps[name] = (None, many, _FITS[kind], _CONVERT[kind])
    return _Plan(fields_of(model), steps)


def conform(model: type[BaseModel], body: dict[str, Any], *, nulls: bool = True) -> dict[str, Any]:
    """``body`` (changed in place and returned) with every field the model knows in its wire
    format. ``nulls=False``: the caller knows the body holds no null (its JSON text has none)."""
    return _conform(_plan(model, nulls), body, nulls)


def _conform(plan: _Plan, body: dict[str, Any], nulls: bool) -> dict[str, Any]:
    # Search pages carry 100 documents of ~100 fields each, and every order's template is rendered
    # when it is written: only the fields that can be off and that the body has are visited (the
    # intersection is taken in C; each field's value is conformed on its own, so their order is
    # immaterial), and the scan for nulls runs in C, and not at all for a body known to have none.
    if nulls and None in body.values():
        fields = plan.fields
        for name in [k for k, v in body.items() if v is None and k in fields]:
            del body[name]
    steps = plan.steps
    for name in steps.keys() & body.keys():
        value = body[name]
        sub, many, fits, convert = steps[name]
        if sub is not None:
            if type(value) is dict:
                _conform(sub, value, nulls)
            elif many and type(value) is list:
                for item in value:
                    if type(item) is dict:
                        _conform(sub, item, nulls)
        elif many:
            if type(value) is list:
                body[name] = [convert(v) for v in value if v is not None]
        elif type(value) not in fits:
            body[name] = convert(value)
    return body


def document(kind: str, body: dict[str, Any], *, nulls: bool = True) -> dict[str, Any]:
    """A rendered document as the definitions write it (``nulls``: as for conform)."""
    return conform(MODELS[kind], body, nulls=nulls)
