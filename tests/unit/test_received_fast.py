"""Stop 26: a received body's digest and validation, cheaper, with the same outcomes. The code they
replaced is kept here as the reference (documents/inbound.parse and jsonio.digest as they were),
and compared over many random bodies of every kind: money as int, float text, string, "1E+1",
"-0.00", huge, NaN, bool, null; dates with and without a zone; line numbers as text, integers,
blanks; unknown keys (Python names among them) and nested shapes. The same bodies are accepted
and refused, with the same errors in the same order, the same values, the same digest."""

from __future__ import annotations

import contextlib
import copy
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from bench import documents as docs
from pydantic import BaseModel, TypeAdapter, ValidationError

from pohub.core import jsonio
from pohub.core.errors import FieldError, Unprocessable
from pohub.documents import examples, inbound, types
from pohub.documents.kinds import KINDS
from pohub.documents.types import MONEY_PLACES, Money, received_validator
from tests.support import calls_of

# --- the replaced code, as it was -----------------------------------------------------------------


def _old_digest(value: Any) -> tuple[str, bool]:
    safe = True

    def default(v: Any) -> Any:
        nonlocal safe
        if type(v) is not Decimal or not v.is_finite():
            raise TypeError
        text = jsonio.plain(v)
        if safe and repr(float(v)) != text and Decimal(repr(float(v))) != v:
            safe = False
        return orjson.Fragment(text)

    try:
        text = orjson.dumps(value, default=default, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except TypeError:
        return jsonio.content_hash(value), jsonio.float_safe(value)
    import hashlib

    return hashlib.sha256(text).hexdigest(), safe


def _old_parse(raw: bytes, model: type[BaseModel]) -> inbound.Inbound[Any]:
    data = jsonio.parse_received(raw)
    if not isinstance(data, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    try:
        doc = received_validator(model).validate_python(data)
    except ValidationError as exc:
        raise Unprocessable(f"The {model.__name__} is not valid", inbound.validation_errors(exc)) from None
    return inbound.Inbound(raw, data, doc, *_old_digest(data))


# --- random numbers and bodies --------------------------------------------------------------------


def _number_text(rng: random.Random) -> str:
    """A JSON number's text: short and long, with and without a fraction or an exponent."""
    sign = rng.choice(["", "", "-"])
    wholes = [0, 1, 7, 31, 100, 12345, 10**13, 10**14 - 1, 10**14, 10**19, 10**25, rng.randrange(10**16)]
    whole = str(rng.choice(wholes))
    frac = "".join(rng.choice("0123456789") for _ in range(rng.choice([0, 1, 2, 2, 3, 6, 7, 12, 18])))
    text = sign + whole + ("." + frac if frac else "")
    if rng.random() < 0.2:
        text += rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(rng.choice([0, 1, 2, 6, 7, 15, 30, 400]))
    elif not frac and rng.random() < 0.5:
        text += ".0"
    return text


def _decimal(rng: random.Random) -> Decimal:
    return Decimal(_number_text(rng))


_NUMBER_TEXTS = ["1E+1", "-0.00", "-0", "0.000000", "0.0000001", "1e400", "1e-400", "NaN", "-Infinity", "31.020"]


def _value(rng: random.Random) -> Any:
    """Something a field might be sent: every kind the models take, and wrong ones."""
    pick = rng.random()
    if pick < 0.35:
        return orjson.Fragment(_number_text(rng))
    if pick < 0.45:
        return orjson.Fragment(rng.choice(_NUMBER_TEXTS))
    pool: list[Any] = [
        True,
        False,
        None,
        0,
        5,
        -3,
        10**14 - 1,
        10**14,
        10**20,
        2**63,
        10**30,
        "",
        " ",
        "01",
        " 01 ",
        "\x1c01\x1c",
        "31.02",
        "1E+1",
        " 5 ",
        "abc",
        "x" * 51,
        "2026-12-01",
        "2026-12-01T10:00:00",
        "2026-12-01T10:00:00+02:00",
        "2026-12-01T10:00:00Z",
        "2026-13-01",
        [],
        {},
        [1],
        {"Name": "n"},
    ]
    return rng.choice(pool)


_KEYS = ["ExtraField", "price", "line_number", "item_identifier", "quantity", "note", "Price", "LineNumber", "Z"]


def _containers(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _containers(v)
    elif isinstance(value, list):
        yield value
        for v in value:
            yield from _containers(v)


def _mutate(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    for _ in range(rng.choice([1, 1, 2, 3])):
        target = rng.choice(list(_containers(out)))
        if isinstance(target, list):
            if target and rng.random() < 0.7:
                target[rng.randrange(len(target))] = _value(rng)
            else:
                target.append(_value(rng))
        elif target and rng.random() < 0.75:
            key = rng.choice(list(target))
            if rng.random() < 0.1:
                del target[key]
            else:
                target[key] = _value(rng)
        else:
            target[rng.choice(_KEYS)] = _value(rng)
    return out


_BASES: dict[str, list[dict[str, Any]]] = {
    "order": [examples.sales_order(), orjson.loads(docs.order(1, prefix="R", buyer=1, supplier=2))],
    "acknowledgement": [examples.acknowledgement(), orjson.loads(docs.acknowledgement(1, "7"))],
    "shipment": [examples.shipment(), orjson.loads(docs.shipment(1))],
    "invoice": [examples.invoice(), orjson.loads(docs.invoice(1))],
}


def _outcome(road: Callable[[bytes, type[BaseModel]], inbound.Inbound[Any]], raw: bytes, model: type[Any]) -> Any:
    try:
        got = road(raw, model)
    except Exception as exc:  # every refusal is compared: its type, message and fields, in order
        return ("refused", type(exc).__name__, str(exc), repr(getattr(exc, "errors", None)))
    doc = got.doc
    return (
        "accepted",
        type(doc),
        repr(doc),  # every value: a Decimal's digits and exponent, a datetime's zone
        doc.model_dump(mode="json", by_alias=True),
        doc.model_dump(by_alias=True, exclude_unset=True),
        repr(doc.__pydantic_extra__),
        got.body_hash,
        got.float_safe,
        repr(got.data),
    )


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(_BASES))
def test_parse_answers_as_before_over_random_bodies(kind: str) -> None:
    model = KINDS[kind].model
    rng = random.Random(f"stop26-{kind}")
    accepted = refused = 0
    for i in range(1500):
        body = rng.choice(_BASES[kind])
        raw = jsonio.dumps(body if i < 2 else _mutate(rng, body))
        old = _outcome(_old_parse, raw, model)
        assert _outcome(inbound.parse, raw, model) == old, raw
        accepted += old[0] == "accepted"
        refused += old[0] == "refused"
    assert accepted > 200 and refused > 200  # both outcomes are well covered


def _errors(exc: ValidationError) -> list[tuple[Any, ...]]:
    return [(e["type"], e["loc"], e["msg"], repr(e["input"])) for e in exc.errors(include_url=False)]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fast_road_builds_what_the_received_validator_builds(kind: str) -> None:
    """Every kind's model (returns, changes, inventory too), from bodies changed at random (fields of
    the model and others, at the top and nested): validate_received answers as the received
    validator, instance for instance and error for error."""
    model = KINDS[kind].model
    fast = types.fast_received_validator(model)
    assert fast is not None
    rng = random.Random(f"fast-{kind}")
    names = [f.alias or n for n, f in model.model_fields.items()] + _KEYS
    required = {f.alias or n: [] for n, f in model.model_fields.items() if f.is_required()}
    bases = _BASES.get(kind, [required])
    taken = 0
    for _ in range(800):
        body = _mutate(rng, rng.choice(bases)) | {rng.choice(names): _value(rng) for _ in range(rng.choice([0, 1, 2]))}
        try:
            data = jsonio.parse_received(jsonio.dumps(body))
        except Unprocessable:
            continue  # NaN, Infinity: refused before any model
        short = jsonio.digest_short(data, places=MONEY_PLACES)[2]
        try:
            exact: Any = repr(received_validator(model).validate_python(data))
        except ValidationError as exc:
            exact = _errors(exc)
        try:
            got: Any = repr(types.validate_received(model, data, short=short))
        except ValidationError as exc:
            got = _errors(exc)
        assert got == exact, body
        if short:
            with contextlib.suppress(ValidationError):  # refused: the received validator decided
                taken += repr(fast.validate_python(data, by_name=False)) == exact
    assert taken > 10  # the fast road built many of them


def test_digest_short_answers_as_the_old_digest() -> None:
    rng = random.Random("digest")
    for _ in range(20_000):
        d = _decimal(rng)
        for value in ({"a": d}, [d, {"b": [d]}]):
            if not d.is_finite():
                continue
            text_hash, safe, _ = jsonio.digest_short(value, places=MONEY_PLACES)
            assert (text_hash, safe) == _old_digest(value) == jsonio.digest(value), d


def test_a_short_decimal_is_within_money_limits() -> None:
    """What digest_short calls short, Money accepts unchanged (so the fast road need not check)."""
    money = TypeAdapter(Money)
    rng = random.Random("short")
    shorts = 0
    for _ in range(20_000):
        d = _decimal(rng)
        if not d.is_finite() or not jsonio.digest_short({"a": d}, places=MONEY_PLACES)[2]:
            continue
        shorts += 1
        got = money.validate_python(d)
        assert repr(got) == repr(d)
        assert Decimal(repr(float(d))) == d  # and it survives the float path (SHORT_TEXT)
    assert shorts > 2000


def test_a_decimal_past_the_limits_is_not_short() -> None:
    for text in ["0.1234567", "123456789012345.1", "1E+1", "-0.1234567890123", "1", "0E-7"]:
        assert not jsonio.digest_short({"a": Decimal(text)}, places=MONEY_PLACES)[2], text
    for text in ["31.02", "-0.00", "0.000000", "1234567890123.5", "-123456789012.5"]:
        assert jsonio.digest_short({"a": Decimal(text)}, places=MONEY_PLACES)[2], text


@pytest.mark.parametrize("kind", sorted(_BASES))
def test_parse_runs_no_money_validator_on_short_bodies(kind: str) -> None:
    """Fails on the code before: parse called the money before validator for every Money field."""
    raw = jsonio.dumps(_BASES[kind][1])
    model = KINDS[kind].model
    money = types._parse_money.__code__
    before = calls_of(lambda: received_validator(model).validate_python(jsonio.loads(raw)), money)
    assert before >= (0 if kind == "shipment" else 5)  # a shipment's lines carry no money
    assert calls_of(lambda: inbound.parse(raw, model), money) == 0


def test_a_python_name_key_takes_the_received_road() -> None:
    """{"price": ...} fills the field (populate_by_name) on both roads, not an extra."""
    body = copy.deepcopy(_BASES["invoice"][1])
    body["InvoiceLines"][0]["price"] = body["InvoiceLines"][0].pop("Price")
    got = inbound.parse(jsonio.dumps(body), KINDS["invoice"].model)
    line = got.doc.invoice_lines[0]
    assert line.price == Decimal("31.02") and not line.__pydantic_extra__


def test_no_fast_road_for_a_model_with_a_python_name_the_keys_check_misses() -> None:
    """A field whose Python name is not snake_case could be filled by that name unseen: no fast road."""
    from pydantic import Field

    from pohub.documents.types import LBModel

    class Odd(LBModel):
        Weird: str | None = Field(default=None, alias="W")

    class Holder(LBModel):
        odd: Odd | None = Field(default=None, alias="Odd")

    assert types.fast_received_validator(Odd) is None and types.fast_received_validator(Holder) is None
    got = types.validate_received(Holder, {"Odd": {"Weird": "x"}}, short=True)
    assert got.odd is not None and got.odd.Weird == "x" and not got.odd.__pydantic_extra__
