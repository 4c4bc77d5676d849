"""Field types for Logicbroker documents: tolerant where the platform is, exact where money is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from pohub.core.ids import is_ascii_int


def _parse_datetime(value: Any) -> Any:
    """ISO 8601 date or date-time; a value without an offset is UTC (seed dates carry none)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"must be an ISO 8601 date or date-time, got {value!r}") from None
    else:
        raise ValueError("must be an ISO 8601 date or date-time string")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_line_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
    raise ValueError("must be a string or an integer")


def int_like(value: Any) -> Any:
    """ "2" -> 2 for coded fields; anything else is left for the field's own check."""
    if isinstance(value, str) and is_ascii_int(value.strip()):
        return int(value.strip())
    return value


def _parse_money(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


LBDateTime = Annotated[
    datetime,
    BeforeValidator(_parse_datetime),
    PlainSerializer(lambda v: v.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# The platform's integers are int32: anything larger is refused, not carried to the database.
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
LineNumber = Annotated[
    str,
    BeforeValidator(_parse_line_number),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
]
Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    Field(allow_inf_nan=False, max_digits=20, decimal_places=6),
    WithJsonSchema({"type": "number"}),
]


def line_key(line_number: str) -> str:
    """The identity of a line number: "01", "1" and 1 name the same line."""
    s = line_number.strip()
    if is_ascii_int(s):
        return str(int(s))
    return s.casefold()


class LBModel(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        str_max_length=10_000,
        # The wire is the platform's: schemas list every field by its alias.
        serialize_by_alias=True,
    )
