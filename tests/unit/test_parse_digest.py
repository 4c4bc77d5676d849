"""Stop 27: jsonio.parse_digest answers as parse_received followed by digest_short (kept as they
are, the reference), value for value and refusal for refusal, over many random bodies: repeated
keys at every depth (with colons, escapes and whitespace about them), NUL as an escape in keys and
strings, NaN and Infinity, colons written as escapes, big integers, exponents, lone surrogates,
malformed and truncated texts, bodies that are not objects."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pohub.core import jsonio
from pohub.core.errors import PohubError
from pohub.documents.types import MONEY_PLACES

_KEYS = ["A", "B", "Name", "a:b", "k\\u003ab", "k\\u003Ab", "Note\\u0000", "é", "\\ud800", "Line"]
_NUMBERS = ["0", "-0", "12", "-7", "1.50", "-0.00", "31.020", "1E+3", "1.5e-7", "0.0000001", "1e400"]
_NUMBERS += ["123456789012345.5", "9007199254740993", "18446744073709551616", "NaN", "-Infinity", "Infinity"]
_STRINGS = ['"x"', '""', '"10:30:00"', '"a\\":\\"b"', '"\\u0000"', '"a\\\\u0000"', '"\\u003a"', '"é\\n\\t"']
_STRINGS += ['"\\ud83d\\ude00"', '"\\udc00"', '"NaN"', '"Infinity:"', '"\\\\"']


def _space(rng: random.Random) -> str:
    return rng.choice(["", "", "", " ", "\n  ", "\t"])


def _value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return _object(rng, depth + 1)
    if depth < 3 and roll < 0.35:
        items = [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return "[" + ",".join(f"{_space(rng)}{v}{_space(rng)}" for v in items) + "]"
    if roll < 0.6:
        return rng.choice(_NUMBERS)
    if roll < 0.9:
        return rng.choice(_STRINGS)
    return rng.choice(["true", "false", "null"])


def _object(rng: random.Random, depth: int) -> str:
    keys = rng.sample(_KEYS, rng.randint(0, 5))
    if keys and rng.random() < 0.15:  # a key repeated, anywhere
        keys.insert(rng.randint(0, len(keys)), rng.choice(keys))
    members = [f'{_space(rng)}"{k}"{_space(rng)}:{_space(rng)}{_value(rng, depth)}' for k in keys]
    return "{" + ",".join(members) + _space(rng) + "}"


def _body(rng: random.Random) -> bytes:
    text = _object(rng, 0) if rng.random() < 0.95 else _value(rng, 0)
    roll = rng.random()
    if roll < 0.04 and text:  # malformed: cut short, or a stray character
        text = text[: rng.randint(0, len(text) - 1)]
    elif roll < 0.06:
        text = text.replace(":", rng.choice(["::", ": ,", ""]), 1)
    return text.encode()


def _outcome(parse: Any, raw: bytes) -> Any:
    try:
        value, *digest = parse(raw)
    except PohubError as exc:
        return type(exc), exc.message, exc.errors, exc.as_wire()
    # repr tells Decimal("1.50") from Decimal("1.5") and 1 from 1.0; keys keep their order.
    return repr(value), json.dumps(value, default=repr), digest


def _old(raw: bytes) -> tuple[Any, ...]:
    value = jsonio.parse_received(raw)
    return value, *jsonio.digest_short(value, places=MONEY_PLACES)


def _new(raw: bytes) -> tuple[Any, ...]:
    return jsonio.parse_digest(raw, places=MONEY_PLACES)


@pytest.mark.parametrize("seed", range(4))
def test_random_bodies_as_parse_received_then_digest_short(seed: int) -> None:
    rng = random.Random(seed)
    refused = repeated = 0
    for _ in range(2500):
        raw = _body(rng)
        old = _outcome(_old, raw)
        assert _outcome(_new, raw) == old, raw
        assert _outcome(_new, raw.decode("utf-8", "surrogatepass")) == old, raw  # given as text
        refused += isinstance(old[0], type)
        repeated += isinstance(old[0], type) and "Duplicate key" in old[1]
    assert refused > 300 and repeated > 150  # refusals of each kind were met


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',
        b'{"a" :1, "a": 2}',
        b'{"a":"x:y","a":"z"}',
        b'{"a":{"b":1,"b":{"c":"d"}}}',
        b'{"k:":1,"k\\u003a":2}',  # the escape writes the same key: refused, as parse_received does
        b'{"a":1,"b":"\\u003a","a":3}',
        b'{"a":"\\u0000"}',
        b'{"\\u0000":1}',
        b'{"a":NaN}',
        b'{"a":[1,-Infinity]}',
        b'{"a":1,"a":NaN}',
        b'[{"a":1,"a":1}]',
        b'{"a":1,"b":2}',
        b'{"a":18446744073709551616,"a":1}',
        b'{"a":1,"a":2',
    ],
)
def test_edges_as_parse_received_then_digest_short(raw: bytes) -> None:
    assert _outcome(_new, raw) == _outcome(_old, raw)


def test_bench_bodies_take_the_cheap_road(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body without a repeated key, NUL, non-finite number or a colon's escape is parsed once,
    without jiter's duplicate check, and its digest text written once."""
    from bench import documents as bench_documents

    bodies = [
        bench_documents.order(1, prefix="T", buyer=1, supplier=2),
        bench_documents.acknowledgement(1, "K1"),
        bench_documents.shipment(1),
        bench_documents.invoice(1),
    ]
    expected = [_old(raw) for raw in bodies]
    calls: list[bytes] = []
    monkeypatch.setattr(jsonio, "parse_received", lambda raw, **_: calls.append(raw))
    for raw, old in zip(bodies, expected, strict=True):
        assert repr(_new(raw)) == repr(old)
    assert calls == []
