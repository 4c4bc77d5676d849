"""The bulk upload's split refuses exactly what a JSON parser refuses: checked against a reference
(Python's json module, duplicate keys refused, NaN refused) on generated bodies and on every
one-byte edit of them."""

from __future__ import annotations

import json
import mmap
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pohub.core.errors import PohubError
from pohub.dialects.wms import split

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(alphabet='ab "\\{}[],:\n\u00e9', max_size=6),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("abc", max_size=3), inner, max_size=3),
    max_leaves=6,
)
_orders = st.dictionaries(st.sampled_from(["customerOrderNumber", "orderLines", "x"]), _values, max_size=3)
_bodies = st.builds(
    lambda data, extra, indent: json.dumps({"data": data, **extra}, indent=indent),
    st.lists(_orders, max_size=4),
    st.dictionaries(st.sampled_from(["meta", "note"]), _values, max_size=2),
    st.sampled_from([None, 1]),
)


def _strict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def reference(body: bytes) -> bool:
    """What a strict JSON parser says, plus the upload's own shape: an object whose data is a list of objects."""
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=_strict, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        return False
    return all(isinstance(e, dict) for e in value["data"])


def accepted(body: Any) -> bool:
    try:
        split.validate(body)
    except PohubError as exc:
        assert exc.status_code in (400, 422), exc
        return False
    return True


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_bodies, st.data())
def test_split_accepts_exactly_what_a_parser_accepts(body: str, data: st.DataObject) -> None:
    raw = body.encode()
    assert accepted(raw) == reference(raw)
    # One byte deleted, replaced or inserted anywhere.
    pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
    byte = data.draw(st.sampled_from(list(b' ,:[]{}"\\0a\n')))
    for edited in (
        raw[:pos] + raw[pos + 1 :],
        raw[:pos] + bytes([byte]) + raw[pos + 1 :],
        raw[:pos] + bytes([byte]) + raw[pos:],
    ):
        assert accepted(edited) == reference(edited), edited


def test_elements_are_the_orders_byte_ranges_in_a_mapped_body() -> None:
    orders = [{"customerOrderNumber": f"A{i}", "orderLines": [{"skuId": "]", "q": '\\"'}]} for i in range(3)]
    body = json.dumps({"note": "[{", "data": orders}, indent=2).encode()
    with tempfile.TemporaryFile() as f:
        f.write(body)
        f.flush()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            spans = list(split.elements(mapped))
            assert [json.loads(mapped[a:b]) for a, b in spans] == orders
            assert split.validate(mapped) == 3
            del spans


def test_refusals_say_where_in_the_whole_body() -> None:
    body = b'{\n  "data": [\n    {"a": 1},\n    {"a": 1,}\n  ]\n}'
    try:
        split.validate(body)
    except PohubError as exc:
        assert exc.errors[0].field == "data[1]"
        assert "line 4 column 13" in exc.errors[0].error, exc.errors
    else:
        raise AssertionError("a trailing comma inside an element was taken")
    assert split.line_column(b"ab\ncd\n", 4) == (2, 2)
