"""Stop 26: wire.template (figure and status markers as raw Fragments, conform's plan without the
null scan for a body whose text has no null, cached date-times) writes the same template, or the
same None, as the code it replaced, kept here as the reference over many random POs."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
from bench import documents as bench_documents
from pydantic import BaseModel

from pohub.core import jsonio
from pohub.documents import conform, render, wire
from pohub.documents.conform import _RFC3339, MODELS, _scalar, fields_of
from pohub.documents.examples import sales_order

# --- the replaced code, as it was -----------------------------------------------------------------

_OLD_FITS: dict[str, tuple[type, ...]] = {
    "object": (),
    "date-time": (str,),
    "integer": (int,),
    "number": (Decimal, int, float),
    "boolean": (bool,),
    "string": (str,),
    "coerced-string": (str,),
}


@cache
def _old_to_check(model: type[BaseModel]) -> dict[str, Any]:
    return {
        name: (kind, nested, many, _OLD_FITS[kind])
        for name, (kind, nested, many) in fields_of(model).items()
        if kind != "string" or nested is not None
    }


def _old_conform(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    if None in body.values():
        table = fields_of(model)
        for name in [k for k, v in body.items() if v is None and k in table]:
            del body[name]
    checks = _old_to_check(model)
    for name in checks.keys() & body.keys():
        value = body[name]
        if value is None:
            continue
        kind, nested, many, fits = checks[name]
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
        elif type(value) not in fits or (kind == "date-time" and _RFC3339.fullmatch(value) is None):
            body[name] = _scalar(kind, value)
    return body


def _old_compiled(marked: str, n: int) -> str | None:
    parts = marked.split("\x01")
    texts, names = parts[0::2], parts[1::2]
    figures = tuple(f"{slot}{p}" for p in range(n) for slot, _ in wire._QUANTITIES)
    if len(names) != 2 + len(figures) or len(set(names)) != len(names):
        return None
    places: dict[str, int] = {}
    at = 0
    for name, before in zip(names, texts, strict=False):
        at += len(before)
        places[name] = at
        if name not in ("k", "s"):
            at += 1
    if "k" not in places or "s" not in places:
        return None
    try:
        offsets = ",".join([str(places[f]) for f in figures])
    except KeyError:
        return None
    zeroed: list[str] = [""] * len(parts)
    zeroed[0::2] = texts
    zeroed[1::2] = ["" if name in ("k", "s") else "0" for name in names]
    return f"{wire.VERSION}:{n}:{places['k']},{places['s']}:{offsets}:{''.join(zeroed)}"


def _old_template(values: dict[str, Any]) -> str | None:
    if values.get("kind") != "order" or values.get("details") is not None:
        return None
    raw, document_date = values["raw"], values.get("document_date")
    if not isinstance(raw, str) or "u0001" in raw or not isinstance(document_date, datetime):
        return None
    row = SimpleNamespace(
        raw=raw,
        float_safe=values.get("float_safe", True),
        details=None,
        id=wire._marker("k"),
        status=wire._marker("s"),
        document_date=document_date.astimezone(UTC),
        source_key=values.get("source_key"),
        link_key=values.get("link_key"),
        sender_company_id=values["sender_company_id"],
        receiver_company_id=values["receiver_company_id"],
        partner_po=values.get("partner_po"),
    )
    body = render.body_of(row)
    wire_lines = body.get("OrderLines")
    if "order_lines" in body or not isinstance(wire_lines, list) or not all(isinstance(x, dict) for x in wire_lines):
        return None
    lines = [
        SimpleNamespace(position=p, changed_at=None, **{f: wire._marker(f"{s}{p}") for s, f in wire._QUANTITIES})
        for p in range(len(wire_lines))
    ]
    body = render.render(row, lines, body=body)
    text = jsonio.dumps(_old_conform(MODELS["order"], body)).decode()
    return _old_compiled(text.replace('"\\u0001', "\x01").replace('\\u0001"', "\x01"), len(wire_lines))


# --- random POs ---------------------------------------------------------------------------------

_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**70,
    "12",
    " -3 ",
    "x",
    "",
    "true",
    " FALSE ",
    "2026-12-01",
    " 2026-12-01 ",
    "2026-12-01T10:00:00",
    "2026-12-01T10:00:00.5+02:00",
    "2026-12-01 10:00",
    "not a date",
    "1.50",
    "-1E+3",
    "NaN",
    Decimal("1E+1"),
    Decimal("-0.00"),
    Decimal("123456789012345678901234.000001"),
    Decimal("31.02"),
    1.5,
    'é \\ " \u2028 \U0001f600 null',
    "QuantityShipped",
    ["a", None, 3, "2026-01-01"],
    [],
    {},
    {"Unknown": None, "Name": 5, "Nested": {"Deep": [None, {"x": Decimal("2.50")}]}},
]
_FIGURE_NAMES = list(render.line_quantities(SimpleNamespace(**dict.fromkeys(wire.LINE_FIGURES, 0))))


def _random_value(rng: random.Random, model: type[BaseModel] | None, many: bool, depth: int) -> Any:
    if model is not None and depth < 3 and rng.random() < 0.8:
        if many:
            return [
                _random_body(rng, model, depth + 1) if rng.random() < 0.8 else rng.choice(_SCALARS)
                for _ in range(rng.randint(0, 3))
            ]
        return _random_body(rng, model, depth + 1)
    return rng.choice(_SCALARS)


def _random_body(rng: random.Random, model: type[BaseModel], depth: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, (_, nested, many) in fields_of(model).items():
        if rng.random() < 0.5:
            body[name] = _random_value(rng, nested, many, depth)
    for i in range(rng.randint(0, 2)):  # fields the definitions do not know
        body[f"Extra{i}"] = rng.choice(_SCALARS)
    keys = list(body)
    rng.shuffle(keys)
    return {k: body[k] for k in keys}


def _random_line(rng: random.Random) -> Any:
    if rng.random() < 0.03:
        return rng.choice(["not an object", 5, None, []])
    line = _random_body(rng, fields_of(MODELS["order"])["OrderLines"][1] or BaseModel, 1)
    if rng.random() < 0.2:  # a line that holds some of the hub's figures already, in any order
        for name in rng.sample(_FIGURE_NAMES, rng.randint(1, 5)):
            line[name] = rng.choice([0, 3, None, "x"])
        keys = list(line)
        rng.shuffle(keys)
        line = {k: line[k] for k in keys}
    return line


def _random_po(rng: random.Random) -> dict[str, Any]:
    body = _random_body(rng, MODELS["order"])
    body["OrderLines"] = [_random_line(rng) for _ in range(rng.randint(0, 12))]
    roll = rng.random()
    if roll < 0.05:
        body["OrderLines"] = rng.choice([None, "x", {"a": 1}])
    elif roll < 0.08:
        body["order_lines"] = []
    elif roll < 0.12:
        body["Identifier"] = rng.choice(["x", None, {"SourceKey": None, "LogicbrokerKey": 5}])
    elif roll < 0.15:
        body["StatusCode"] = rng.choice([None, "150", 100])
    return body


def _values(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    raw = jsonio.dumps(body).decode()
    if rng.random() < 0.3:  # other whitespace and escapes than the hub's own writing
        raw = json.dumps(json.loads(raw), indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.5)
    data = jsonio.loads(raw)
    when = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=rng.choice([-5, 0, 2]))))
    return {
        "kind": "order" if rng.random() < 0.97 else "invoice",
        "raw": raw,
        "float_safe": jsonio.float_safe(data),
        "details": None if rng.random() < 0.95 else '{"Note": "later"}',
        "document_date": when + timedelta(microseconds=rng.choice([0, 123456])),
        "source_key": rng.choice([None, "S-1", "é"]),
        "link_key": rng.choice([None, "L-1"]),
        "sender_company_id": rng.randint(1, 9),
        "receiver_company_id": rng.randint(1, 9),
        "partner_po": rng.choice([None, "P-1", 'P"2']),
    }


def _same(values: dict[str, Any]) -> None:
    try:
        old: Any = _old_template(dict(values))
    except Exception as exc:
        with pytest.raises(type(exc)):
            wire.template(dict(values))
        return
    assert wire.template(dict(values)) == old


@pytest.mark.parametrize("seed", range(8))
def test_random_pos_template_as_before(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(250):
        _same(_values(rng, _random_po(rng)))


def test_bench_and_example_pos_template_as_before() -> None:
    rng = random.Random(26)
    bodies = [json.loads(bench_documents.order(i, prefix="T", buyer=1, supplier=2)) for i in range(3)]
    bodies += [sales_order(PartnerPO="E-1"), sales_order(PartnerPO="E-2", HandlingAmount="12.50", Note=None)]
    for body in bodies:
        values = _values(rng, body)
        values.update(kind="order", details=None)
        assert wire.template(values) is not None
        _same(values)


def test_lines_holding_figures_out_of_order_keep_their_places() -> None:
    """A line that sent QuantityShipped before the others keeps it there: its figures' places are
    still given in the hub's order (fill puts each figure where it stands)."""
    body = sales_order(PartnerPO="O-1")
    body["OrderLines"] = [
        {"QuantityShipped": 4, "LineNumber": "1", "QuantityAcknowledged": None},
        {"LineNumber": "2"},
        {"QuantityInvoiced": 1},
    ]
    values = _values(random.Random(1), body)
    values.update(kind="order", details=None)
    stored = wire.template(values)
    assert stored is not None and stored == _old_template(values)
    line = SimpleNamespace(
        position=0, changed_at=None, qty_accepted=1, qty_backordered=2, qty_cancelled=3, qty_shipped=4, qty_invoiced=5
    )
    filled = wire.fill(stored, key=9, status=500, touched=[line])
    assert filled is not None
    first = json.loads(filled)["OrderLines"][0]
    assert list(first)[:3] == ["QuantityShipped", "LineNumber", "QuantityAcknowledged"]
    assert [first[n] for n in _FIGURE_NAMES] == [1, 2, 3, 4, 5]


def test_conform_without_nulls_is_conform() -> None:
    """conform(nulls=False) on a body without nulls, and the plan's conform with them, write what
    the replaced walk wrote."""
    rng = random.Random(15)
    for kind, model in sorted(MODELS.items()):
        for _ in range(300):
            text = jsonio.dumps(_random_body(rng, model))
            old = _old_conform(model, jsonio.loads(text))
            new = conform.conform(model, jsonio.loads(text))
            assert jsonio.dumps(new) == jsonio.dumps(old) and list(new) == list(old), kind
            if b"null" not in text:
                bare = conform.conform(model, jsonio.loads(text), nulls=False)
                assert jsonio.dumps(bare) == jsonio.dumps(old) and list(bare) == list(old), kind
