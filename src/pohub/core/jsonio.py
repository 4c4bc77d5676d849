"""JSON in and out. Numbers with a fraction are read as Decimal, never float, and written back
as JSON numbers with exactly their digits."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import jiter
import orjson

from pohub.core.errors import BadRequest, FieldError


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("non-finite Decimal cannot be written as JSON")
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _big_ints(value: Any) -> Any:
    """orjson stops at 64-bit integers; JSON does not. Pass bigger ones through as their digits."""
    if isinstance(value, dict):
        return {k: _big_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return orjson.Fragment(str(value))
    return value


def _dumps(value: Any, option: int) -> bytes:
    try:
        return orjson.dumps(value, default=_default, option=option)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
        return orjson.dumps(_big_ints(value), default=_default, option=option)


def dumps(value: Any) -> bytes:
    return _dumps(value, orjson.OPT_UTC_Z)


def content_hash(value: Any) -> str:
    """The same content with other whitespace or key order hashes the same."""
    return hashlib.sha256(_dumps(value, orjson.OPT_SORT_KEYS)).hexdigest()


def float_safe(value: Any) -> bool:
    """True when every number survives a trip through float unchanged, so the fast float path can
    read and write the document without changing a digit."""
    if isinstance(value, dict):
        return all(float_safe(v) for v in value.values())
    if isinstance(value, list):
        return all(float_safe(v) for v in value)
    if isinstance(value, Decimal):
        return value.is_finite() and Decimal(repr(float(value))) == value
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63
    return True


def loads_fast(raw: bytes | str) -> Any:
    """Parse JSON already known to be float-safe (see float_safe) at C speed."""
    return orjson.loads(raw)


def loads(raw: bytes | str) -> Any:
    """Parse JSON with exact decimals; malformed JSON is a 400 that says where."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        return jiter.from_json(data, float_mode="decimal")
    except ValueError as exc:
        raise BadRequest(
            "Malformed JSON: the body is not valid JSON",
            [FieldError("body", f"invalid JSON: {exc}")],
        ) from None
