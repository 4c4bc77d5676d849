"""Bounds on a dialect's own fields, taken from the hub's wire fields they map onto: a limit is
decided once (the generated models, documents/types.Money and Int32) and a dialect refuses past it
in its own words (``acknowledgementItems[0].vendorPartNumber``), never in the hub's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from pohub.core.errors import FieldError, Unprocessable
from pohub.documents.types import MONEY_DIGITS, MONEY_PLACES, string_limit

INT32_MAX = 2**31 - 1


def too_far(field: str, error: str) -> Unprocessable:
    return Unprocessable(f"{field}: {error}", [FieldError(field, error)])


def text(value: Any, field: str, onto: tuple[type[BaseModel], str]) -> Any:
    """``value`` as it is; a string longer than the wire field ``onto`` (model, alias) takes is refused."""
    if isinstance(value, str):
        limit = string_limit(*onto)
        if len(value) > limit:
            raise too_far(field, f"must be at most {limit} characters (got {len(value)})")
    return value


def whole(value: int | Decimal, field: str, *, low: int = 0, high: int = INT32_MAX) -> int:
    """An integer-valued number within [low, high] (1e400 is integral, and no quantity)."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise too_far(field, "must be a finite number")
    if not low <= value <= high:
        raise too_far(field, f"must be between {low} and {high}, got {value}")
    return int(value)


def amount(value: int | Decimal, field: str) -> Decimal:
    """An amount as the hub's Money keeps it: at most MONEY_PLACES decimal places and MONEY_DIGITS
    digits in all, exactly as sent (more is refused, never rounded)."""
    exact = Decimal(value)
    if not exact.is_finite():
        raise too_far(field, "must be a finite number")
    _, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)  # finite
    places = max(-exponent, 0)
    if places > MONEY_PLACES:
        raise too_far(field, f"must have at most {MONEY_PLACES} decimal places, got {places}")
    # Counted as pydantic counts Money's max_digits: the decimal places are digits too.
    if (len(digits) + exponent if exponent >= 0 else max(len(digits), places)) > MONEY_DIGITS:
        raise too_far(field, f"must have at most {MONEY_DIGITS} digits, got {value}")
    return exact
