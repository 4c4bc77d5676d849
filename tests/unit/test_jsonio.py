"""The parser for what clients send: duplicate keys, NUL and NaN / Infinity refused, naming where;
the look-alikes (the words inside strings, an escaped backslash before u0000) taken."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pohub.core import jsonio
from pohub.core.errors import PohubError


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b'{"a": {"b": 1, "b": 2}}', 400, "b"),
        (b'{"a": [1, {"c": "x\\u0000"}]}', 422, "a[1].c"),
        (b'{"k\\u0000": 1}', 422, "k\x00"),
        (b'{"a": [1, NaN]}', 422, "a[1]"),
        (b'{"a": {"b": -Infinity}}', 422, "a.b"),
        (b"[Infinity]", 422, "[0]"),
        (b'{"a": 1,}', 400, "body"),
    ],
)
def test_refused_naming_where(raw: bytes, status: int, field: str) -> None:
    with pytest.raises(PohubError) as caught:
        jsonio.parse_received(raw)
    assert caught.value.status_code == status
    assert caught.value.errors[0].field == field


def test_look_alikes_are_taken() -> None:
    raw = b'{"note": "NaN and Infinity", "path": "C:\\\\u0000", "n": 1.50}'
    assert jsonio.parse_received(raw) == {"note": "NaN and Infinity", "path": "C:\\u0000", "n": Decimal("1.50")}


def test_stored_documents_still_read_leniently() -> None:
    # What the hub stored before these rules (a key given twice) must still render.
    assert jsonio.loads(b'{"a": 1, "a": 2}') == {"a": 2}
