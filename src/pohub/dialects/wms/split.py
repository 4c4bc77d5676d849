"""Split a bulk upload's ``{"data": [ ... ]}`` into its elements' byte ranges without building the
whole document as Python objects: memory stays at one order at a time (the body itself is a
memory-mapped file, see api/http.spooled_body).

The split refuses exactly what a JSON parser refuses, or a body that is not JSON would be imported.
It is exact by composition: every byte of the body lies in one of three kinds of piece, and each is
checked against the grammar by the real parser or by an exact rule:
- each element of the array, parsed on its own (``parse_element``);
- the gaps between elements: whitespace only, one comma between two elements, none before the first
  or after the last (a JSON array's rules);
- the envelope, the body with the whole array replaced by ``[]``, parsed on its own (``envelope``),
  which must read back with ``[]`` as the key's value.
The tokenizer only finds where those pieces start and end (strings with their escapes, and brackets).
Every refusal says where: line and (byte) column in the whole body.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from typing import Any

from pohub.core import jsonio
from pohub.core.errors import BadRequest, FieldError, PohubError

# Strings (with escapes) and brackets; everything else (numbers, literals, commas, colons) is skipped.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]')
# Inside an element only its brackets matter: everything up to the next one (strings whole), so an
# element costs one step per bracket instead of one per string. It stops at a bracket, the end, or a
# quote that opens no complete string (which _TOKEN skips too).
_TO_BRACKET = re.compile(rb'(?:[^"{}\[\]]+|"[^"\\]*(?:\\.[^"\\]*)*")*')
_WS = b" \t\r\n"
_AT = re.compile(r"at line (\d+) column (\d+)")
_WINDOW = 1 << 20

# bytes, or a read-only mmap of the spooled upload: sliced, never copied whole.
Body = Any


def line_column(body: Body, offset: int) -> tuple[int, int]:
    """1-based line and byte column of ``offset``, counted in windows (a mapped body is never copied whole)."""
    line, last_newline = 1, -1
    release = _Releaser(body)
    for start in range(0, offset, _WINDOW):
        release.behind(start)
        window = bytes(body[start : min(start + _WINDOW, offset)])
        count = window.count(b"\n")
        if count:
            line += count
            last_newline = start + window.rindex(b"\n")
    return line, offset - last_newline


def _where(body: Body, offset: int) -> str:
    line, column = line_column(body, offset)
    return f"line {line} column {column}"


def _malformed(body: Body, offset: int, error: str, field: str = "body") -> BadRequest:
    where = _where(body, offset)
    return BadRequest(f"Malformed JSON at {where}: {error}", [FieldError(field, f"{error} at {where}")])


def _next_text(body: Body, start: int) -> int:
    """The offset of the first byte at or after ``start`` that is not whitespace (len(body) if none)."""
    for pos in range(start, len(body), _WINDOW):
        window = bytes(body[pos : pos + _WINDOW])
        stripped = window.lstrip(_WS)
        if stripped:
            return pos + len(window) - len(stripped)
    return len(body)


def _relocated(exc: PohubError, body: Body, piece: bytes, base: int, shift_after: int = -1, shift: int = 0) -> Any:
    """A parser's refusal of one piece, its 'at line L column C' turned into the place in the whole body."""

    def move(text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            line, column = int(m.group(1)), int(m.group(2))
            offset = 0
            for _ in range(line - 1):
                offset = piece.index(b"\n", offset) + 1
            offset += column - 1
            if 0 <= shift_after < offset:
                offset += shift
            return "at " + _where(body, base + offset)

        return _AT.sub(sub, text)

    exc.message = move(exc.message)
    exc.errors = [FieldError(e.field, move(e.error)) for e in exc.errors]
    exc.args = (exc.message,)
    return exc


class _Releaser:
    """Pages of a mapped body already walked are handed back (madvise DONTNEED): they stay in the
    page cache but leave the process, so its resident memory stays flat however large the upload.
    Reading them again later (the second pass) faults them back in from the cache."""

    STEP = 8 << 20

    def __init__(self, body: Body) -> None:
        self.body = body if isinstance(body, mmap.mmap) else None
        self.done = 0

    def behind(self, offset: int) -> None:
        if self.body is None or offset - self.done < 2 * self.STEP:
            return
        upto = (offset - self.STEP) // mmap.PAGESIZE * mmap.PAGESIZE
        self.body.madvise(mmap.MADV_DONTNEED, self.done, upto - self.done)
        self.done = upto


def elements(body: Body, key: bytes = b"data") -> Iterator[tuple[int, int]]:
    """(start, end) of each object in the top-level object's ``key`` array, the gaps between them
    checked as it goes and the envelope once the array has closed."""
    name = key.decode()
    first = _next_text(body, 0)
    if body[first : first + 1] != b"{":
        raise _malformed(body, first, 'the body must be an object such as {"data": [...]}')
    depth = 0
    in_array = False
    array_start = array_end = -1
    element_start = last_end = -1
    count = 0
    pending_key: bytes | None = None

    def check_gap(pos: int, *, closing: bool) -> None:
        """Between two elements exactly one comma; before the first and after the last, none."""
        gap = bytes(body[last_end:pos]).strip(_WS)
        wanted = b"," if count and not closing else b""
        if gap == wanted:
            return
        if gap == b"," and closing:
            raise _malformed(body, pos, f"a trailing comma after the last element of {name}", f"{name}[{count - 1}]")
        if not gap:
            raise _malformed(body, pos, f"a comma is missing before this element of {name}", f"{name}[{count}]")
        at = _next_text(body, last_end)
        if gap.startswith(b",") and count == 0:
            raise _malformed(body, at, f"a comma before the first element of {name}", f"{name}[0]")
        shown = gap.lstrip(b",").strip(_WS)[:20].decode(errors="replace")
        raise _malformed(body, at, f"{name} must hold sales order objects only, found {shown!r}", f"{name}[{count}]")

    release = _Releaser(body)
    size = len(body)
    pos = 0
    while (m := _TOKEN.search(body, pos)) is not None:
        pos = m.end()
        release.behind(m.start())
        tok = m.group()
        c = tok[:1]
        if c == b'"':
            if depth == 1:
                rest = bytes(body[m.end() : m.end() + 64]).lstrip(_WS)
                pending_key = tok[1:-1] if rest[:1] == b":" else None
            elif in_array and depth == 2:
                raise _malformed(body, m.start(), f"{name} must hold sales order objects only, found a string")
            continue
        if c in b"{[":
            if depth == 1 and c == b"[" and pending_key == key and array_start < 0:
                in_array = True
                array_start = m.start()
                last_end = m.end()
            elif in_array and depth == 2:
                if c != b"{":
                    raise _malformed(body, m.start(), f"{name} must hold sales order objects only, found an array")
                check_gap(m.start(), closing=False)
                element_start = m.start()
                depth, pos, c = _element_end(body, pos, size)
                if depth == 3:  # the body ended inside the element
                    break
                if c == b"}":
                    last_end = pos
                    yield element_start, pos
                    count += 1
                continue
            depth += 1
            continue
        depth -= 1
        if depth < 0:
            raise _malformed(body, m.start(), f"{c.decode()} closes nothing")
        if in_array and depth == 2 and c == b"}":
            last_end = m.end()
            yield element_start, m.end()
            count += 1
        elif in_array and depth == 1:
            if c != b"]":
                raise _malformed(body, m.start(), f"{c.decode()} closes the {name} array")
            check_gap(m.start(), closing=True)
            in_array = False
            array_end = m.end()
        if depth == 0:
            after = _next_text(body, m.end())
            if after < len(body):
                raise _malformed(body, after, "unexpected data after the end of the body")
            break
    if depth != 0 or in_array:
        raise _malformed(body, len(body), "the body ends before its brackets close")
    if array_start < 0:
        if len(body) <= 1 << 20:  # a malformed envelope says so before the missing array is named
            envelope(body, -1, -1, key=name)
        raise BadRequest(
            f'The body must be {{"{name}": [sales orders]}}',
            [FieldError(name, "is required: an array of sales orders")],
        )
    envelope(body, array_start, array_end, key=name)


def _element_end(body: Body, pos: int, size: int) -> tuple[int, int, bytes]:
    """Walk an element from just after its opening brace to the bracket that brings the depth back
    to the array's (2): (2, the offset after it, that bracket), or (3, size, b"") when the body ends
    first. The brackets counted are the ones _TOKEN would find, so the result is the same."""
    depth = 3
    while True:
        at = _TO_BRACKET.match(body, pos)
        assert at is not None  # it matches the empty string
        pos = at.end()
        if pos >= size:
            return 3, size, b""
        c = body[pos : pos + 1]
        pos += 1
        if c == b'"':
            continue  # a quote that opens no complete string: skipped, as _TOKEN skips it
        depth += 1 if c in b"{[" else -1
        if depth == 2:
            return depth, pos, c


def envelope(body: Body, array_start: int, array_end: int, *, key: str = "data") -> None:
    """Parse the body with its array replaced by ``[]``: every byte outside the array goes through
    the real parser (members, commas, duplicate keys), and the array must be the key's value."""
    if array_start < 0:
        skeleton, shift = bytes(body), 0
    else:
        skeleton = bytes(body[:array_start]) + b"[]" + bytes(body[array_end:])
        shift = array_end - array_start - 2
    try:
        parsed = jsonio.parse_received(skeleton)
    except PohubError as exc:
        raise _relocated(exc, body, skeleton, 0, array_start + 1 if array_start >= 0 else -1, shift) from None
    if array_start >= 0 and (not isinstance(parsed, dict) or parsed.get(key) != []):
        raise _malformed(body, array_start, f"this array is not the value of the {key!r} key")


def parse_element(body: Body, start: int, end: int, index: int, key: str = "data") -> Any:
    """One element, parsed as any client's JSON is (duplicate keys, NUL and NaN refused), its
    refusals placed in the whole body and named ``data[index]``."""
    piece = bytes(body[start:end])
    try:
        return jsonio.parse_received(piece, at=f"{key}[{index}]")
    except PohubError as exc:
        if exc.status_code == 400 and exc.errors and exc.errors[0].field == "body":
            exc.errors = [FieldError(f"{key}[{index}]", exc.errors[0].error)]
        raise _relocated(exc, body, piece, start) from None


def validate(body: Body, key: bytes = b"data") -> int:
    """Check the whole body as a JSON parser would, one element at a time; the number of elements."""
    count = 0
    for start, end in elements(body, key):
        parse_element(body, start, end, count, key.decode())
        count += 1
    return count
