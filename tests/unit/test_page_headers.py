"""The Step 1 page's untouched orders (documents.pages._parts, templates as UTF-8 bytes) read a
template's header once for a run of templates sharing it (stop 25). The pieces before that change
are kept here as the oracle: over many random pages of templates of several layouts (some sharing a
header, some text beyond ASCII, stale, marked or cut short, with details or touched lines), the page
is byte for byte the old one, and each order what wire.fill writes."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from typing import Any

from pohub.documents import pages, wire


def _old_places(w: Any, start: int, colon: Any, comma: Any, brace: Any) -> tuple[int, int, int] | None:
    """pages._places before stop 25 (the oracle)."""
    count_end = w.find(colon, start)
    places_end = w.find(colon, count_end + 1) if count_end >= 0 else -1
    figures_end = w.find(colon, places_end + 1) if places_end >= 0 else -1
    if figures_end < 0 or w.startswith(brace, count_end + 1):
        return None
    k_at, _, s_at = w[count_end + 1 : places_end].partition(comma)
    try:
        k, s = int(k_at), int(s_at)
    except ValueError:
        return None
    t = figures_end + 1
    if not 0 <= k < s <= len(w) - t:
        return None
    return k, s, t


def _old_untouched_bytes(r: Any) -> tuple[bytes, ...] | None:
    """pages._untouched_bytes before stop 25 (the oracle)."""
    w = r[3]
    if r[2] is not None or not w.startswith(pages._CURRENT_BYTES) or not w.isascii():
        return None
    places = _old_places(w, len(pages._CURRENT_BYTES), b":", b",", b"{")
    if places is None:
        return None
    k, s, t = places
    return w[t : t + k], b'"%d"' % r[0], w[t + k : t + s], b"%d" % r[1], w[t + s :]


def _old_parts(rows: list[Any], touched: dict[int, list[Any]]) -> list[bytes] | None:
    """pages._parts before stop 25 for rows of bytes templates (the oracle); None where an order
    would be rendered the slow way (not asked here: these rows have no stored body)."""
    parts: list[bytes] = []
    for r in rows:
        if parts:
            parts.append(b",")
        w = r[3]
        if r[0] not in touched and (raw := _old_untouched_bytes(r)) is not None:
            parts += raw
            continue
        text = None if r[2] is not None else pages._filled(w.decode(), r[0], r[1], touched.get(r[0], []))
        if text is None:
            return None
        parts.append(text.encode())
    return parts


def _template(rng: random.Random, *, lines: int, note: str) -> str:
    body = {
        "OrderNumber": f"T-{rng.randrange(10 ** rng.randrange(1, 8))}",
        "PartnerPO": f"P-{rng.randrange(10 ** rng.randrange(1, 8))}",
        "Note": note,
        "OrderLines": [
            {"LineNumber": str(n), "Quantity": n + 1, "Price": 1.5, "ItemIdentifier": {"SupplierSKU": f"S{n}"}}
            for n in range(lines)
        ],
    }
    stored = wire.template(
        {
            "kind": "order",
            "raw": json.dumps(body),
            "document_date": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
            "sender_company_id": 3,
            "receiver_company_id": 4,
            "partner_po": body["PartnerPO"],
            "details": None,
        }
    )
    assert stored is not None
    return stored


def _layouts(rng: random.Random) -> tuple[list[str], set[str]]:
    """Templates of several layouts: the same header for many (only the note's letters differ),
    others of other lengths and line counts, beyond ASCII; and the broken ones (not current, cut
    short: wire.fill and the pages' fill need not agree on those, only old and new pages must)."""
    base = _template(rng, lines=3, note="abcdef")
    header, text = base[: base.rindex(":", 0, base.index("{")) + 1], base[base.index("{") :]
    same_header = [header + text.replace("abcdef", "".join(rng.choices("uvwxyz", k=6))) for _ in range(4)]
    others = [_template(rng, lines=rng.randrange(1, 6), note="n" * rng.randrange(0, 30)) for _ in range(4)]
    # As many characters, more bytes: the places hold, counted in characters.
    unicode = [_template(rng, lines=2, note="é ünïcode"), header + text.replace("abcdef", "abcdéf")]
    broken = [
        "000000000000" + base[len(wire.VERSION) :],  # stale
        header,  # cut short: no text
        header + text[:-40],  # the status's place past the end
        f"{wire.VERSION}:1:" + '{"K":\x01k\x01,"S":\x01s\x01,"L":[{\x01q0\x01}]}',  # marked
    ]
    return same_header + others + unicode + broken, set(broken)


def test_pages_of_random_templates_are_the_old_pages() -> None:
    rng = random.Random(25)
    layouts, broken = _layouts(rng)
    compared = served = 0
    for _ in range(300):
        rows: list[Any] = []
        touched: dict[int, list[Any]] = {}
        for key in range(1, rng.randrange(1, 30)):
            w = rng.choice(layouts) if rng.random() < 0.3 else layouts[rng.randrange(4)]  # runs of one header
            details = '{"Note":"x"}' if rng.random() < 0.03 else None
            rows.append((key, rng.choice((100, 150, 500, 1000, 1100)), details, w.encode()))
            if rng.random() < 0.1:
                touched[key] = [pages._Line(0, rng.randrange(1, 2000), 0, 0, 0, 0, None)]
        expected = _old_parts(rows, touched)
        if expected is None:  # an order the slow way would render (details, no template): not here
            rows = [r for r in rows if r[2] is None and pages._filled(r[3].decode(), r[0], r[1], []) is not None]
            expected = _old_parts(rows, touched)
        assert expected is not None
        got = asyncio.run(pages._parts(None, rows, touched))  # type: ignore[arg-type]  # none rendered afresh
        assert got == expected
        if not any(r[3].decode() in broken for r in rows):
            filled = [wire.fill(r[3].decode(), key=r[0], status=r[1], touched=touched.get(r[0], [])) for r in rows]
            assert b"".join(got).decode() == ",".join(str(text) for text in filled)
        compared += len(rows)
        served += sum(1 for r in rows if r[0] not in touched and pages._untouched_bytes(r) is not None)
    assert compared > 2000 and served > 1000  # most orders took the pieces, not fill


def test_a_header_read_before_serves_only_templates_starting_with_it() -> None:
    """Two templates whose headers differ in one place: each is cut at its own places, whichever
    came first (a header kept by anything less than the whole prefix would cut the second wrong)."""
    rng = random.Random(7)
    first = _template(rng, lines=2, note="a")
    second = _template(rng, lines=2, note="a" * 11)  # the status ten characters later
    assert first.split(":", 4)[2] != second.split(":", 4)[2]
    for order in ((first, second), (second, first)):
        rows = [(i, 150, None, w.encode()) for i, w in enumerate(order, 1)]
        got = asyncio.run(pages._parts(None, rows, {}))  # type: ignore[arg-type]  # none rendered afresh
        assert b"".join(got).decode() == ",".join(str(wire.fill(w, key=i, status=150)) for i, w in enumerate(order, 1))


def test_the_status_text_is_what_b_percent_d_writes() -> None:
    """The kept status text (pages._status_text) for values equal as keys but of other types."""
    for value in (150, 150.0, True, 1, 0, 1000, -5, 2**40):
        assert pages._status_text(value) == b"%d" % value
    for n in range(200):  # past the cache's bound: still right
        assert pages._status_text(n * 7) == b"%d" % (n * 7)
