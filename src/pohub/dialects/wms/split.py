"""Split a bulk upload's ``{"data": [ ... ]}`` into its elements' byte ranges without building the
whole document as Python objects: memory stays at the request body plus one order at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pohub.core.errors import BadRequest, FieldError

# Strings (with escapes) and brackets; everything else (numbers, literals, commas, colons) is skipped.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]')
_WS = b" \t\r\n"


def _malformed(error: str) -> BadRequest:
    return BadRequest("Malformed JSON: the body is not valid JSON", [FieldError("body", error)])


def elements(body: bytes, key: bytes = b"data") -> Iterator[tuple[int, int]]:
    """(start, end) of each object in the top-level object's ``key`` array."""
    start_at = len(body) - len(body.lstrip(_WS))
    if body[start_at : start_at + 1] != b"{":
        raise _malformed('must be an object such as {"data": [...]}')
    depth = 0
    in_data = False
    found = False
    element_start = -1
    last_end = -1
    pending_key: bytes | None = None
    for m in _TOKEN.finditer(body):
        tok = m.group()
        c = tok[:1]
        if c == b'"':
            if depth == 1:
                rest = body[m.end() : m.end() + 64].lstrip(_WS)
                pending_key = tok[1:-1] if rest[:1] == b":" else None
            elif in_data and depth == 2:
                raise _malformed(f"{key.decode()} must hold objects only (found a string at byte {m.start()})")
            continue
        if c in b"{[":
            if depth == 1 and c == b"[" and pending_key == key:
                in_data = found = True
                last_end = m.end()
            elif in_data and depth == 2:
                if c != b"{":
                    raise _malformed(f"{key.decode()} must hold objects only (found an array at byte {m.start()})")
                gap = body[last_end : m.start()].strip(_WS)
                if gap not in (b"", b","):
                    raise _malformed(f"unexpected {gap[:20]!r} before byte {m.start()}")
                element_start = m.start()
            depth += 1
        else:
            depth -= 1
            if depth < 0:
                raise _malformed(f"unbalanced {c.decode()} at byte {m.start()}")
            if in_data and depth == 2 and c == b"}":
                last_end = m.end()
                yield element_start, m.end()
            elif in_data and depth == 1:
                gap = body[last_end : m.start()].strip(_WS)
                if gap not in (b"", b","):
                    raise _malformed(f"unexpected {gap[:20]!r} before byte {m.start()}")
                in_data = False
            if depth == 0:
                if body[m.end() :].strip(_WS):
                    raise _malformed(f"unexpected data after the end of the body at byte {m.end()}")
                break
    if depth != 0:
        raise _malformed("the body ends before its brackets close")
    if not found:
        raise BadRequest(
            f'The body must be {{"{key.decode()}": [sales orders]}}',
            [FieldError(key.decode(), "is required: an array of sales orders")],
        )
