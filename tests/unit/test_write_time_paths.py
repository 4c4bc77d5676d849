"""The write-time shortcuts of issue 15's third pass answer as the code they replaced: conform
visiting only the fields a body has, the template's slot table, jsonio.plain for format(d, "f"),
and digest's float check. The replaced code is kept here as the reference."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from pohub.core import jsonio
from pohub.documents import conform, wire
from pohub.documents.conform import _RFC3339, MODELS, _scalar, fields_of
from pohub.documents.examples import sales_order


def _old_fits(kind: str, value: Any) -> bool:
    if kind == "date-time":
        return type(value) is str and _RFC3339.fullmatch(value) is not None
    if kind == "integer":
        return type(value) is int
    if kind == "number":
        return type(value) in (Decimal, int, float)
    if kind == "boolean":
        return type(value) is bool
    return type(value) is str


def _old_conform(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    if None in body.values():
        table = fields_of(model)
        for name in [k for k, v in body.items() if v is None and k in table]:
            del body[name]
    checks = {n: s for n, s in fields_of(model).items() if s[0] != "string" or s[1] is not None}
    for name, (kind, nested, many) in checks.items():
        value = body.get(name)
        if value is None:
            continue
        if nested is not None:
            if type(value) is dict:
                _old_conform(nested, value)
            elif many and type(value) is list:
                for item in value:
                    if type(item) is dict:
                        _old_conform(nested, item)
        elif many:
            if type(value) is list:
                body[name] = [_scalar(kind, v) for v in value if v is not None]
        elif not _old_fits(kind, value):
            body[name] = _scalar(kind, value)
    return body


_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**70,
    -(2**70),
    "12",
    " -3 ",
    "x",
    "",
    "true",
    " FALSE ",
    "2026-12-01",
    "2026-12-01T10:00:00",
    "2026-12-01T10:00:00+02:00",
    "2026-12-01 10:00",
    "not a date",
    "1.50",
    "-1E+3",
    "NaN",
    "Infinity",
    Decimal("123456789012345678901234.000001"),
    Decimal("-0.000"),
    Decimal("1E+2"),
    1.5,
    'é \\ " \u2028 \U0001f600',
    ["a", None, 3, "2026-01-01"],
    [],
    {},
    {"Unknown": None, "Name": 5},
]


def _random_body(rng: random.Random, model: type[BaseModel], depth: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, (_, nested, many) in fields_of(model).items():
        if rng.random() < 0.4:
            continue
        if nested is not None and depth < 3 and rng.random() < 0.8:
            one = _random_body(rng, nested, depth + 1)
            body[name] = [one, rng.choice(_VALUES), _random_body(rng, nested, depth + 1)] if many else one
        else:
            body[name] = rng.choice(_VALUES)
    for i in range(rng.randint(0, 3)):  # fields the definitions do not know
        body[f"Extra{i}"] = rng.choice(_VALUES)
    keys = list(body)
    rng.shuffle(keys)
    return {k: body[k] for k in keys}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_conform_writes_what_the_full_walk_wrote(kind: str) -> None:
    rng = random.Random(kind)
    model = MODELS[kind]
    for _ in range(400):
        body = _random_body(rng, model)
        text = jsonio.dumps(body)
        new, old = conform.conform(model, jsonio.loads(text)), _old_conform(model, jsonio.loads(text))
        assert jsonio.dumps(new) == jsonio.dumps(old)
        assert list(new) == list(old)  # the same key order too


def _old_compiled(marked: str, n: int) -> str | None:
    parts = marked.split(wire._MARK)
    text: list[str] = []
    at = 0
    places: dict[str, int] = {}
    for i, part in enumerate(parts):
        if i % 2 == 0:
            text.append(part)
            at += len(part)
            continue
        if part in places:
            return None
        places[part] = at
        if part not in ("k", "s"):
            text.append("0")
            at += 1
    figures = [f"{slot}{p}" for p in range(n) for slot, _ in wire._QUANTITIES]
    if len(places) != 2 + len(figures) or "k" not in places or "s" not in places:
        return None
    try:
        offsets = ",".join(str(places[f]) for f in figures)
    except KeyError:
        return None
    return f"{wire.VERSION}:{n}:{places['k']},{places['s']}:{offsets}:{''.join(text)}"


def _m(slot: str) -> str:
    return f"\x01{slot}\x01"


def test_templates_of_varied_orders_hold_their_slots() -> None:
    """A template filled with its order's key and status reads as the order's slow rendering
    (tests/api/test_search_wire.py checks that against the database; this over odd bodies)."""
    extras: list[dict[str, Any]] = [
        {},
        {"Unknown": [1, None, "é"]},
        {"Note": 'q"\\\u2028'},
        {"HandlingAmount": "12.50"},
        {"TotalAmount": None},
    ]
    for i, extra in enumerate(extras):
        body = sales_order(PartnerPO=f"P-{i}", SenderCompanyId=1, ReceiverCompanyId=2, **extra)
        values = {
            "kind": "order",
            "raw": jsonio.dumps(body).decode(),
            "float_safe": jsonio.float_safe(body),
            "document_date": datetime(2026, 12, 1, tzinfo=UTC),
            "source_key": None,
            "link_key": "L",
            "sender_company_id": 1,
            "receiver_company_id": 2,
            "partner_po": f"P-{i}",
        }
        text = wire.template(values)
        assert text is not None
        head = text.split(":", 4)
        marked = _old_marked(values, int(head[1]))
        assert text == _old_compiled(marked, int(head[1]))


def _old_marked(values: dict[str, Any], n: int) -> str:
    """What template() wrote before its slot table (markers still in)."""
    from types import SimpleNamespace

    from pohub.documents import render

    row = SimpleNamespace(
        raw=values["raw"],
        float_safe=values["float_safe"],
        details=None,
        id=wire._marker("k"),
        status=wire._marker("s"),
        document_date=values["document_date"].astimezone(UTC),
        source_key=values["source_key"],
        link_key=values["link_key"],
        sender_company_id=values["sender_company_id"],
        receiver_company_id=values["receiver_company_id"],
        partner_po=values["partner_po"],
    )
    lines = [
        SimpleNamespace(position=p, changed_at=None, **{f: wire._marker(f"{s}{p}") for s, f in wire._QUANTITIES})
        for p in range(n)
    ]
    body = render.render(row, lines)
    text = jsonio.dumps(_old_conform(MODELS["order"], body)).decode()
    return text.replace('"\\u0001', "\x01").replace('\\u0001"', "\x01")


def _decimals() -> list[Decimal]:
    rng = random.Random(15)
    out = [Decimal(x) for x in ("0", "-0", "0.0", "-0.000", "1E+2", "1e-7", "0E-30", "0E+5", "1.000000", "0.000001")]
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
        out.append(Decimal(f"{rng.choice(['', '-'])}{digits}E{rng.randint(-60, 60)}"))
        out.append(Decimal(f"{rng.choice(['', '-'])}{digits[: rng.randint(1, len(digits))]}.{digits}"))
        out.append(Decimal(repr(rng.uniform(-1e6, 1e6))))
    return out


def test_plain_is_format_f() -> None:
    for d in _decimals():
        assert jsonio.plain(d) == format(d, "f"), d


def test_digest_float_check_is_the_exact_one() -> None:
    for d in _decimals():
        for value in ({"A": d}, [d, Decimal("31.02"), "x"], {"B": [1, d, None]}):
            assert jsonio.digest(value) == (jsonio.content_hash(value), jsonio.float_safe(value)), d


def test_dumps_writes_decimals_as_before() -> None:
    for d in _decimals()[:5000]:
        assert jsonio.dumps({"P": d}) == b'{"P":' + format(d, "f").encode() + b"}"
