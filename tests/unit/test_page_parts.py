"""documents.pages' pieces of an untouched order (``_untouched``) join to what wire.fill writes, and
are None wherever fill would do anything else (a stale or marked template, the status before the
key, offsets outside the text, details): then fill itself, or the slow way, answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pohub.documents import pages, wire


def _stored() -> str:
    lines = [
        {"LineNumber": str(n), "Quantity": n, "Price": 1.5, "ItemIdentifier": {"SupplierSKU": f"S{n}"}} for n in (1, 2)
    ]
    values = {
        "kind": "order",
        "raw": json.dumps({"OrderNumber": "T-1", "PartnerPO": "T-1", "Note": "é ünïcode", "OrderLines": lines}),
        "document_date": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "sender_company_id": 3,
        "receiver_company_id": 4,
        "partner_po": "T-1",
        "details": None,
    }
    stored = wire.template(values)
    assert stored is not None
    return stored


def _row(text: str | None, *, key: int = 7, status: int = 150, details: str | None = None) -> tuple[Any, ...]:
    return (key, status, details, text)  # wire.PAGE_COLUMNS' order


def _fill(row: tuple[Any, ...]) -> str | None:
    return wire.fill(row[3], key=row[0], status=row[1]) if row[2] is None else None


def test_a_stored_template_joins_to_what_fill_writes() -> None:
    row = _row(_stored(), key=123456, status=500)
    pieces = pages._untouched(row)
    assert pieces is not None
    assert "".join(pieces) == _fill(row)


def _with_places(stored: str, places: str) -> str:
    version, count, _, figures, text = stored.split(":", 4)
    return ":".join((version, count, places, figures, text))


@pytest.mark.parametrize(
    "case",
    ["stale", "marked", "status first", "key at its end", "past the end", "negative", "empty", "details", "none"],
)
def test_anything_else_is_left_to_fill(case: str) -> None:
    stored = _stored()
    text_len = len(stored.split(":", 4)[4])
    k, s = (int(x) for x in stored.split(":", 4)[2].split(","))
    wire_text = {
        "stale": "000000000000" + stored[len(wire.VERSION) :],
        "marked": f"{wire.VERSION}:1:" + '{"K":\x01k\x01,"S":\x01s\x01,"L":[{\x01q0\x01}]}',
        "status first": _with_places(stored, f"{s},{k}"),
        "key at its end": _with_places(stored, f"{s},{s}"),
        "past the end": _with_places(stored, f"{k},{text_len + 1}"),
        "negative": _with_places(stored, f"-1,{s}"),
        "empty": f"{wire.VERSION}:2:{k},{s}",
        "details": stored,
        "none": None,
    }[case]
    row = _row(wire_text, details='{"Note":"x"}' if case == "details" else None)
    assert pages._untouched(row) is None
    # fill answers these itself (or leaves them to the slow way); the pages' pieces never differ.
    if case in ("status first", "key at its end", "past the end", "negative"):
        assert _fill(row) is not None


def test_unreadable_places_raise_as_fill_does() -> None:
    stored = _with_places(_stored(), "x,1")
    assert pages._untouched(_row(stored)) is None
    with pytest.raises(ValueError):
        _fill(_row(stored))


def _bytes_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:3], row[3].encode())  # the page's statement reads the template as UTF-8


def test_an_ascii_template_as_bytes_joins_to_what_fill_writes() -> None:
    ascii_template = _stored().replace("é ünïcode", "e unicode")  # as many characters: the places hold
    assert ascii_template.isascii()
    row = _row(ascii_template, key=99, status=150)
    pieces = pages._untouched_bytes(_bytes_row(row))
    assert pieces is not None
    assert b"".join(pieces) == str(_fill(row)).encode()


def test_a_template_beyond_ascii_as_bytes_is_left_to_fill() -> None:
    """Its places count characters, not bytes: read as bytes, they would cut the text elsewhere."""
    row = _row(_stored())
    assert pages._untouched(row) is not None
    assert pages._untouched_bytes(_bytes_row(row)) is None


def test_a_packed_line_reads_as_fill_reads_a_line() -> None:
    """The page's packed touched line (position, wire.LINE_FIGURES, changed) gives wire.fill what an
    order_lines row would: the same text, touched and changed alike."""
    stored = _stored()
    figures = [7, 0, 2, 0, 5]

    class Row:
        position = 1
        changed_at: Any = None

    row = Row()
    for name, value in zip(wire.LINE_FIGURES, figures, strict=True):
        setattr(row, name, value)
    packed = pages._line(f"[1,{','.join(map(str, figures))},null]")
    assert wire.fill(stored, key=9, status=150, touched=[packed]) == wire.fill(stored, key=9, status=150, touched=[row])
    assert wire.fill(stored, key=9, status=150, touched=[packed]) != wire.fill(stored, key=9, status=150)
    changed = pages._line(f"[1,{','.join(map(str, figures))},1]")
    assert changed.changed_at == 1
    assert wire.fill(stored, key=9, status=150, touched=[changed]) is None  # a buyer's change: the slow way
