"""JSON in and out. Numbers with a fraction are read as Decimal, never float, and written back
as JSON numbers with exactly their digits."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

import jiter
import orjson

from pohub.core.errors import BadRequest, FieldError, Unprocessable


def plain(value: Decimal) -> str:
    """A finite Decimal's digits without an exponent: ``format(value, "f")``. Its str() is the same
    text unless it has an exponent (it is the plain form whenever it can be), and costs a third."""
    text = str(value)
    return text if "E" not in text else format(value, "f")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("non-finite Decimal cannot be written as JSON")
        return orjson.Fragment(plain(value))
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


def digest(value: Any) -> tuple[str, bool]:
    """``(content_hash(value), float_safe(value))`` of a parsed JSON value (dicts, lists, strings,
    numbers, booleans, None) in one pass: orjson walks it in C while it writes the hashed text, and
    hands each Decimal to the check. An integer past 53 bits (the check needs its exact size), a
    value orjson cannot write, or anything else unusual takes the two functions themselves, which
    answer (or fail) as they always do."""
    text_hash, safe, _ = digest_short(value, places=0)
    return text_hash, safe


# A decimal of at most 15 significant digits comes back from the nearest double unchanged (DBL_DIG):
# repr(float(v)) is then v's value, so a plain text this short needs no float trip to be float-safe.
SHORT_TEXT = 15


def digest_short(value: Any, *, places: int) -> tuple[str, bool, bool]:
    """As digest, and whether every Decimal in ``value`` is short: written without an exponent, with
    a decimal point, in at most SHORT_TEXT characters (its sign and point included) of which at most
    ``places`` follow the point. A short Decimal has at most SHORT_TEXT - 1 digits before the point
    (documents/types reads that as "within Money's limits" without asking pydantic)."""
    try:
        text, safe, short = _hashed_text(value, places)
    except TypeError:
        return content_hash(value), float_safe(value), False
    return hashlib.sha256(text).hexdigest(), safe, short


def _hashed_text(value: Any, places: int) -> tuple[bytes, bool, bool]:
    """digest_short's hashed text, float-safe and short; TypeError where the two functions decide."""
    safe = True
    short = True

    def default(v: Any) -> Any:
        nonlocal safe, short
        if type(v) is not Decimal:
            raise TypeError  # to the two functions themselves
        text = str(v)
        dot = text.find(".")
        # A text with a point is finite ("NaN", "Infinity" have none), and without "E" it is plain.
        if dot >= 0 and len(text) <= SHORT_TEXT and "E" not in text:
            if len(text) - dot - 1 > places:
                short = False
            return orjson.Fragment(text)  # float-safe (SHORT_TEXT)
        if not v.is_finite():
            raise TypeError
        short = False
        if "E" in text:  # str() is the plain form whenever it can be (plain())
            text = format(v, "f")
        # float(v) is float(str(v)); when its repr is v's own text the trip changes nothing, and
        # only otherwise is the exact comparison needed.
        if safe and repr(float(v)) != text and Decimal(repr(float(v))) != v:
            safe = False
        return orjson.Fragment(text)

    text = orjson.dumps(value, default=default, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    return text, safe, short


def parse_digest(raw: bytes | str, *, places: int) -> tuple[Any, str, bool, bool]:
    """``parse_received(raw)`` and then ``digest_short`` of its value: the same value and digest, or
    the same refusal. jiter's check for a repeated key (a third of its parse) and the scans for NUL
    and non-finite numbers are replaced by tests on the digest's text, which is written anyway:

    - a key repeated in an object drops a member from the value, so the text has fewer colons than
      the raw bytes (every colon of either is a member's or a string's, and orjson writes a
      string's colons as they are; only an escape ``\\u003a`` in the bytes adds one to a string);
    - orjson writes NUL in a string or key as ``\\u0000``, and the digest refuses NaN or Infinity.

    Where a test fails (or the bytes do not parse), parse_received and digest_short decide."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        value = jiter.from_json(data, float_mode="decimal")
        text, safe, short = _hashed_text(value, places)
    except (ValueError, TypeError):
        text = b""
    if not text or data.count(b":") != text.count(b":") or b"\\u003" in data or b"\\u0000" in text:
        value = parse_received(data)
        return value, *digest_short(value, places=places)
    return value, hashlib.sha256(text).hexdigest(), safe, short


_LEAVES = frozenset({str, bool, type(None), float})


def float_safe(value: Any) -> bool:
    """True when every number survives a trip through float unchanged, so the fast float path can
    read and write the document without changing a digit."""
    # A walk with a stack, not recursion: every received document takes it (a hundred values).
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t in _LEAVES:
            continue
        if t is dict or (t is not list and isinstance(v, dict)):
            stack.extend(v.values())
        elif t is list or isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, Decimal):
            if not (v.is_finite() and Decimal(repr(float(v))) == v):
                return False
        elif isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            return False
    return True


def loads_fast(raw: bytes | str) -> Any:
    """Parse JSON already known to be float-safe (see float_safe) at C speed."""
    return orjson.loads(raw)


def loads(raw: bytes | str) -> Any:
    """Parse JSON the hub wrote itself or stored earlier, with exact decimals; malformed JSON is a 400.
    What a client sends goes through parse_received, which is stricter."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        return jiter.from_json(data, float_mode="decimal")
    except ValueError as exc:
        raise _malformed(exc) from None


def parse_received(raw: bytes | str, *, at: str = "") -> Any:
    """Parse a body a client sent, with exact decimals. Refused:
    malformed JSON and a key repeated in one object (400: the last one would win silently);
    a string holding the NUL character, and NaN or Infinity (422, naming the field: PostgreSQL cannot
    store NUL in text, and neither is a number). ``at`` prefixes the field names (a part of a body)."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        value = jiter.from_json(data, float_mode="decimal", catch_duplicate_keys=True)
    except ValueError as exc:
        duplicate = _DUPLICATE.match(str(exc))
        if duplicate is None:
            raise _malformed(exc) from None
        key, where = duplicate.group(1), duplicate.group(2)
        raise BadRequest(
            f"Duplicate key {key!r} in a JSON object: each key may appear once (the second at {where})",
            [FieldError(key, f"appears twice in one object, the second time at {where}")],
        ) from None
    # Both checks walk the value only when the bytes can hold such a value at all (rare): NUL can
    # only be written as an escape, and NaN / Infinity only as those words.
    if b"\\u0000" in data or b"NaN" in data or b"Infinity" in data:
        problem = _first_unstorable(value, at)
        if problem is not None:
            raise Unprocessable(f"{problem[0]}: {problem[1]}", [FieldError(*problem)])
    return value


_DUPLICATE = re.compile(r'^Detected duplicate key "(.*)" at (line \d+ column \d+)$', re.DOTALL)
NUL_RULE = "must not contain the NUL character (\\u0000)"
NON_FINITE_RULE = "must be a finite number (NaN and Infinity are not numbers JSON can carry)"


def _first_unstorable(value: Any, path: str) -> tuple[str, str] | None:
    """The first string with NUL or non-finite number in ``value``: (its path, the rule)."""
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else k
            if "\x00" in k:
                return here, "the key " + NUL_RULE
            found = _first_unstorable(v, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _first_unstorable(v, f"{path}[{i}]")
            if found is not None:
                return found
    elif isinstance(value, str):
        if "\x00" in value:
            return path or "body", NUL_RULE
    elif isinstance(value, Decimal) and not value.is_finite():
        return path or "body", NON_FINITE_RULE
    return None


def _malformed(exc: ValueError) -> BadRequest:
    return BadRequest(f"Malformed JSON: {exc}", [FieldError("body", f"invalid JSON: {exc}")])
