"""documents.pages' touched-line fill (``_touched``, stop 24) writes what wire.fill writes, byte for
byte, for templates rendered by wire.template; leaves to wire.fill (None) any template whose
header does not say each line's figures stand as one run in line order, lines out of order, lines
past the count, and lines a buyer's change rewrote; and its two caches (a template header's plan,
a line's figures' text) are bounded, and cannot answer for another template (the plan is a pure
function of the header; the text is cut afresh on every read)."""

from __future__ import annotations

import asyncio
import json
import random
from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

import pytest

from pohub.documents import pages, wire


def _stored(lines: list[dict[str, Any]] | None = None, *, po: str = "T-1", note: str = "é ünïcode") -> str:
    if lines is None:
        lines = [
            {"LineNumber": str(n), "Quantity": n, "Price": 1.5, "ItemIdentifier": {"SupplierSKU": f"S{n}"}}
            for n in range(1, 4)
        ]
    values = {
        "kind": "order",
        "raw": json.dumps({"OrderNumber": po, "PartnerPO": po, "Note": note, "OrderLines": lines}),
        "document_date": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "sender_company_id": 3,
        "receiver_company_id": 4,
        "partner_po": po,
        "details": None,
    }
    stored = wire.template(values)
    assert stored is not None
    return stored


def _line(p: int, a: Any = 0, b: Any = 0, c: Any = 0, h: Any = 0, i: Any = 0, changed: int | None = None) -> Any:
    return pages._Line(p, a, b, c, h, i, changed)


def _oracle(stored: str, lines: list[Any], key: int = 41, status: int = 500) -> str | None:
    lines = [pages._Line._make(x) if isinstance(x, list) else x for x in lines]
    return wire.fill(stored, key=key, status=status, touched=lines)


FIGURES = [0, 1, 7, 12, 999, 1000, 123456789, 2**40]


def test_touched_lines_fill_as_wire_fill_writes() -> None:
    stored = _stored()
    rng = random.Random(24)
    cases = [
        [_line(0, 5)],
        [_line(p, 5 + p) for p in range(3)],
        [_line(1, 3, 2), _line(2, 0, 0, 4)],
        [_line(0, 2, 1, 1, 2, 2), _line(2, 1, 0, 0, 1, 1)],
        # As orjson reads ONE's column: lists, not _Line; and figures written as wire.fill writes
        # them (True as 1, 2.0 as 2) though the columns only hold integers.
        [[0, 9, 0, 0, 0, 0, None], [1, True, 0, 0, 2.0, 0, None]],
    ]
    for _ in range(200):
        chosen = sorted(rng.sample(range(3), rng.randint(1, 3)))
        cases.append([_line(p, *(rng.choice(FIGURES) for _ in range(5))) for p in chosen])
    for lines in cases:
        text = pages._touched(stored, 41, 500, lines)
        assert text is not None, lines
        assert text == _oracle(stored, lines), lines
        assert pages._filled(stored, 41, 500, lines) == text


def test_ten_lines_and_a_wide_key() -> None:
    lines = [
        {"LineNumber": f"{n:02d}", "Quantity": n, "Price": 2, "ItemIdentifier": {"SupplierSKU": f"SKU-{n}"}}
        for n in range(1, 11)
    ]
    stored = _stored(lines)
    touched = [_line(p, p + 1) for p in range(10)]
    text = pages._touched(stored, 2**62, 1000, touched)
    assert text is not None and text == _oracle(stored, touched, key=2**62, status=1000)


@pytest.mark.parametrize(
    "case", ["reversed", "past the count", "negative position", "changed", "changed last", "duplicate"]
)
def test_what_it_cannot_write_is_left_to_wire_fill(case: str) -> None:
    stored = _stored()
    lines = {
        "reversed": [_line(2, 1), _line(0, 1)],
        "past the count": [_line(3, 1)],
        "negative position": [_line(-1, 1)],
        "changed": [_line(0, 1, changed=1)],
        "changed last": [_line(0, 1), _line(1, 2, changed=1)],
        "duplicate": [_line(1, 1), _line(1, 2)],
    }[case]
    assert pages._touched(stored, 41, 500, lines) is None
    # wire.fill answers (or sends the order the slow way) as it always did.
    assert pages._filled(stored, 41, 500, lines) == _oracle(stored, lines)


def test_a_body_whose_lines_carry_the_figures_keys() -> None:
    """Keys the body's lines already have stay where the body put them: in another order the five
    figures are not one run (the plan says so, wire.fill answers); in the run's own order they are."""
    base = {"LineNumber": "1", "Quantity": 4, "Price": 1.5, "ItemIdentifier": {"SupplierSKU": "S1"}}
    apart = _stored([{**base, "QuantityBackordered": 0, "Description": "between"}])
    in_order = _stored(
        [
            {
                **base,
                "QuantityAcknowledged": 0,
                "QuantityBackordered": 0,
                "QuantityCancelled": 0,
                "QuantityShipped": 0,
                "QuantityInvoiced": 0,
            }
        ]
    )
    lines = [_line(0, 3, 1)]
    assert pages._plan(_header(apart)) is None
    assert pages._touched(apart, 41, 500, lines) is None
    assert pages._filled(apart, 41, 500, lines) == _oracle(apart, lines) is not None
    text = pages._touched(in_order, 41, 500, lines)
    assert text is not None and text == _oracle(in_order, lines)


def _header(stored: str) -> str:
    """A template's count:places:figures (what _plan reads)."""
    return ":".join(stored.split(":", 4)[1:4])


@pytest.mark.parametrize("case", ["figure moved", "figures short", "figures long", "status inside", "key after"])
def test_a_header_of_another_shape_has_no_plan(case: str) -> None:
    stored = _stored()
    version, count, places, figures, text = stored.split(":", 4)
    offsets = [int(x) for x in figures.split(",")]
    k, s = (int(x) for x in places.split(","))
    if case == "figure moved":
        offsets[6] += 1
    elif case == "figures short":
        offsets = offsets[:-1]
    elif case == "figures long":
        offsets = [*offsets, offsets[-1] + 300]
    elif case == "status inside":
        s = offsets[-1]
    else:
        k = offsets[0] + 1
    header = f"{count}:{k},{s}:{','.join(map(str, offsets))}"
    assert pages._plan(header) is None
    changed = f"{version}:{header}:{text}"
    assert pages._touched(changed, 41, 500, [_line(0, 1)]) is None
    assert pages._plan(_header(stored)) is not None


@pytest.mark.parametrize("header", ["", "3", "3:1,2", "x:1,2:3", "1:1;2:3,4,5,6,7", "0:1,2:", "1:1,2,3:4,5,6,7,8"])
def test_a_malformed_header_has_no_plan(header: str) -> None:
    plan = pages._plan(header)
    assert plan is None or (plan.line_count == 0 and header == "0:1,2:")


def test_not_a_current_template() -> None:
    stored = _stored()
    for w in [None, stored.encode(), "000000000000" + stored[12:], f"{wire.VERSION}:3:{{}}", f"{wire.VERSION}:"]:
        assert pages._touched(w, 41, 500, [_line(0, 1)]) is None


def test_caches_are_bounded_and_answer_for_their_own_template_only() -> None:
    assert pages._plan.cache_info().maxsize == 1024
    assert pages._run_of.cache_info().maxsize == 4096
    # Two orders whose templates share a header (same lengths everywhere) but not their text: each
    # answers its own text, whichever was read first.
    one, two = _stored(po="T-1", note="first"), _stored(po="T-2", note="other")
    assert _header(one) == _header(two) and one != two
    lines = [_line(0, 4), _line(2, 1, 1)]
    for stored in (one, two, one):
        assert pages._touched(stored, 41, 500, lines) == _oracle(stored, lines)
    # The same order's template rendered again with another layout (a longer Note): a new header.
    longer = _stored(po="T-1", note="first, and longer")
    assert _header(longer) != _header(one)
    assert pages._touched(longer, 41, 500, lines) == _oracle(longer, lines)
    # Past the bound: entries are dropped, the answers stay right.
    for n in range(1100):
        pages._run_of(n, 0, 0, 0, 0)
        pages._plan(f"0:{n},{n + 1}:")
    assert pages._plan.cache_info().currsize <= 1024 and pages._run_of.cache_info().currsize <= 4096
    for stored in (one, two, longer):
        assert pages._touched(stored, 41, 500, lines) == _oracle(stored, lines)
    # The run's text is keyed by value: 1, 1.0 and True give one entry, and one text, "1".
    pages._run_of.cache_clear()
    assert pages._run_of(1.0, 0, 0, 0, 0) == pages._run_of(True, 0, 0, 0, 0) == pages._run_of(1, 0, 0, 0, 0)
    assert pages._run_of(1, 0, 0, 0, 0).startswith("1,")


OneRow = namedtuple("OneRow", "id status details wire lines")  # pages.ONE's columns


def test_one_text_serves_the_row_of_one() -> None:
    """pages.one_text: ONE's row (id, status, details, wire, lines as JSON) as wire.from_template
    answers it, the touched lines by the new fill."""
    stored = _stored()
    lines = [[0, 5, 0, 0, 0, 0, None], [2, 1, 2, 0, 0, 0, None]]
    row = OneRow(*(41, 500, None, stored, json.dumps(lines)))
    expected = _oracle(stored, [pages._Line._make(x) for x in lines])
    assert expected is not None and pages.one_text(row) == expected
    # Details laid over, a changed line: the slow way (None), as before.
    assert pages.one_text(OneRow(*(41, 500, "{}", stored, json.dumps(lines)))) is None
    changed = json.dumps([[0, 5, 0, 0, 0, 0, 1]])
    assert pages.one_text(OneRow(*(41, 500, None, stored, changed))) is None


def test_the_plain_search_page_fills_touched_orders_as_wire_fill() -> None:
    """The Step 1 page (pages._parts with the templates as UTF-8 bytes and the lines as _Line)
    writes each touched order as wire.fill does; one the new fill cannot write goes to wire.fill."""
    stored = _stored()
    touched = {
        41: [_line(0, 5), _line(2, 1, 2)],
        42: [_line(2, 1), _line(0, 3)],  # not by position: wire.fill's own loop
        43: [_line(1, 1000, 0, 0, 7)],
    }
    rows = [(key, 500, None, stored.encode()) for key in (40, 41, 42, 43)]
    parts = asyncio.run(pages._parts(None, rows, touched))  # type: ignore[arg-type]  # no order rendered afresh
    expected = [wire.fill(stored, key=key, status=500, touched=touched.get(key, [])) for key in (40, 41, 42, 43)]
    assert b"".join(parts).decode() == ",".join(text or "" for text in expected)
    assert all(expected)
