"""GET one PO's answer built as bytes (stop 27): ``search.json_ok`` against the ``Response`` it
stands for, and ``get_order``'s envelope against the old one (``json_text`` of the f-string, kept
here as the oracle), over random order texts (ASCII, beyond it, escapes, empty)."""

from __future__ import annotations

import random

import orjson
from starlette.responses import Response

from pohub.api.search import json_ok
from pohub.orders.api import _ONE_HEAD, _ONE_TAIL


def json_text(text: str, status_code: int = 200) -> Response:
    """The old envelope's answer (api/search.py before stop 27)."""
    return Response(text.encode(), status_code=status_code, media_type="application/json")


def _old(order: str) -> Response:
    return json_text(f'{{"Code":"200","Message":"OK","Body":{{"SalesOrder":{order}}}}}')


def _new(order: str) -> Response:
    return json_ok(b"".join((_ONE_HEAD, order.encode(), _ONE_TAIL)))


def _text(rng: random.Random) -> str:
    alphabet = 'abcXYZ019 ,:{}[]"\\\u00e9\u20ac\U0001f600\n\t'
    value = {f"k{i}": "".join(rng.choice(alphabet) for _ in range(rng.randrange(40))) for i in range(rng.randrange(8))}
    return orjson.dumps(value).decode()


def test_the_envelope_is_the_old_one() -> None:
    rng = random.Random(27)
    texts = ["", "{}", "x" * 100_000, *(_text(rng) for _ in range(2000))]
    for text in texts:
        old, new = _old(text), _new(text)
        assert type(new) is Response
        assert vars(new) == vars(old)
        assert new.headers.items() == old.headers.items()
        assert new.media_type == old.media_type and new.charset == old.charset


def test_json_ok_is_the_response_it_stands_for() -> None:
    for body in (b"", b"{}", b'{"a":"\xc3\xa9"}', b"x" * 70_000):
        assert vars(json_ok(body)) == vars(Response(body, media_type="application/json"))
