"""Bodies read by jsonio.parse_received are validated without the models' NoNul checks
(documents/types.received_validator): parse_received refuses a NUL anywhere in a body first. Both
roads - the model's own validator and the received one, each after parse_received - accept and
refuse every body of a corpus alike (NUL in every string field position, as the JSON escape
\\u0000, wrong types, over-long strings); other roads keep the model's NUL check."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from pohub.core import jsonio
from pohub.core.errors import FieldError, Unprocessable
from pohub.documents import examples, inbound
from pohub.documents.conform import fields_of
from pohub.documents.kinds import KINDS
from pohub.documents.types import _no_nul, received_validator
from tests.support import calls_of

_EXAMPLES: dict[str, dict[str, Any]] = {
    "order": examples.sales_order(),
    "acknowledgement": examples.acknowledgement(),
    "shipment": examples.shipment(),
    "invoice": examples.invoice(),
}


def _old_parse(raw: bytes, model: type[BaseModel]) -> inbound.Inbound[Any]:
    """documents/inbound.parse as it was: the model's own validator, NoNul checks included."""
    data = jsonio.parse_received(raw)
    if not isinstance(data, dict):
        raise Unprocessable("The body must be a JSON object", [FieldError("body", "must be a JSON object")])
    try:
        doc = model.model_validate(data)
    except ValidationError as exc:
        raise Unprocessable(f"The {model.__name__} is not valid", inbound.validation_errors(exc)) from None
    return inbound.Inbound(raw, data, doc, *jsonio.digest(data))


def _outcome(road: Any, raw: bytes, model: type[BaseModel]) -> tuple[Any, ...]:
    try:
        got = road(raw, model)
    except Exception as exc:  # every refusal is compared: its type, message and fields
        return ("refused", type(exc).__name__, str(exc), repr(getattr(exc, "errors", None)))
    doc = got.doc
    return (
        "accepted",
        type(doc),
        doc.model_dump(mode="json", by_alias=True),
        doc.model_dump(by_alias=True, exclude_unset=True),
        repr(doc),
        got.body_hash,
        got.float_safe,
    )


def _variants(model: type[BaseModel], body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``body`` changed at one field each time: NUL in every string field (present or not), and
    wrong values at every field; nested models are entered (a list's first item, or a new one)."""
    for name, (kind, nested, many) in fields_of(model).items():
        value = body.get(name)
        if nested is not None:
            items = value if many and isinstance(value, list) and value else None
            inner = items[0] if items else (value if isinstance(value, dict) else {})
            for changed in _variants(nested, copy.deepcopy(inner)):
                out = copy.deepcopy(body)
                if many:
                    out[name] = [changed, *copy.deepcopy(items[1:] if items else [])]
                else:
                    out[name] = changed
                yield out
            continue
        news: list[Any] = [None, 7, [], {}, "", " ", "x" * 10_001, True, 1.5]
        if kind in ("string", "coerced-string"):
            text = value if isinstance(value, str) and value else "ab"
            news += ["\x00", text[:1] + "\x00" + text[1:], text + "\x00", "\x00" + text]
        for new in news:
            out = copy.deepcopy(body)
            out[name] = [new] if many and not isinstance(new, list) else new
            yield out
    yield {**copy.deepcopy(body), "Extra\x00Key": "v"}
    yield {**copy.deepcopy(body), "ExtraField": "a\x00b"}


def _corpus(kind: str) -> Iterator[bytes]:
    body = _EXAMPLES[kind]
    yield jsonio.dumps(body)
    for variant in _variants(KINDS[kind].model, body):
        yield jsonio.dumps(variant)  # a NUL is written as the escape \u0000
    yield b'{"PartnerPO": "a\\u0000b"}'
    yield b'{"PartnerPO": "a\x00b"}'  # a raw NUL byte: not JSON
    yield b'{"Note": "\\u0000", "Note2": 1}'
    yield b"[]"
    yield b"{}"


@pytest.mark.parametrize("kind", sorted(_EXAMPLES))
def test_both_roads_accept_and_refuse_alike(kind: str) -> None:
    model = KINDS[kind].model
    bodies = list(_corpus(kind))
    nul_bodies = [raw for raw in bodies if b"\\u0000" in raw]
    assert len(bodies) > 300 and len(nul_bodies) > 50
    accepted = 0
    for raw in bodies:
        old = _outcome(_old_parse, raw, model)
        assert _outcome(inbound.parse, raw, model) == old, raw
        accepted += old[0] == "accepted"
        if raw in nul_bodies:
            assert old[0] == "refused" and "NUL" in old[2], raw
    assert accepted > 10


@pytest.mark.parametrize("kind", sorted(_EXAMPLES))
def test_parse_runs_no_nul_check_and_the_model_keeps_them(kind: str) -> None:
    """Fails without the change: parse ran a NoNul per string field."""
    model = KINDS[kind].model
    raw = jsonio.dumps(_EXAMPLES[kind])
    assert calls_of(lambda: model.model_validate(jsonio.loads(raw)), _no_nul.__code__) >= 5
    assert calls_of(lambda: inbound.parse(raw, model), _no_nul.__code__) == 0
    assert isinstance(received_validator(model).validate_python(jsonio.loads(raw)), model)


@pytest.mark.parametrize("kind", sorted(_EXAMPLES))
def test_other_roads_still_refuse_nul(kind: str) -> None:
    """EDI, forms and dialect shapes build models with model_validate: the NoNul check is there."""
    model = KINDS[kind].model
    body = {**_EXAMPLES[kind], "PartnerPO": "15\x0099"}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("PartnerPO",), "Value error, " + jsonio.NUL_RULE)
    ]


def _other_models() -> list[type[BaseModel]]:
    from pohub.documents.changes import ChangeAnswer
    from pohub.documents.returns import CreditMemo, ReturnAuthorisation, ReturnReceipt, ReturnRejection

    four = {KINDS[kind].model for kind in _EXAMPLES}
    others = [spec.model for spec in KINDS.values() if spec.model not in four]
    return [*others, ChangeAnswer, CreditMemo, ReturnAuthorisation, ReturnReceipt, ReturnRejection]


@pytest.mark.parametrize("model", _other_models(), ids=lambda m: m.__name__)
def test_both_roads_alike_for_the_other_models(model: type[BaseModel]) -> None:
    """The other models parse reads (returns, changes, inventory), from an empty body changed at
    every field."""
    bodies = [jsonio.dumps(variant) for variant in _variants(model, {})]
    assert len(bodies) >= 15  # one field at the least
    for raw in bodies:
        old = _outcome(_old_parse, raw, model)
        assert _outcome(inbound.parse, raw, model) == old, raw
        if b"\\u0000" in raw:
            assert old[0] == "refused" and "NUL" in old[2], raw
