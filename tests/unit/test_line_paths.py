"""Per-line shortcuts of stop 21 answer as the code they replaced (kept here as the reference):
the line number's before-validator, line_key, and quantities_after without a LineChange per
untouched line."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from pohub.core.ids import is_ascii_int
from pohub.documents.types import _parse_line_number, line_key
from pohub.orders.status import LineQuantities
from pohub.orders.store import LineChange, line_update, quantities_after


def _old_parse_line_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
    raise ValueError("must be a string or an integer")


def _old_line_key(line_number: str) -> str:
    s = line_number.strip()
    if is_ascii_int(s):
        return str(int(s))
    return s.casefold()


class _Text(str):
    pass


_NUMBERS: list[Any] = [
    "1", "01", " 01 ", "001", "0", "-1", "+1", "1.0", "A1", "a1", "ß", "İ", "\u0661", "¹", "12a", "",
    " ", "\t", "\n1\n", "\u00a01\u00a0", "\u20281", "x" * 60, "ABC", "Line-1", _Text(" 7 "), _Text(""),
    _Text("Ab"), 0, 1, -5, 2**40, True, False, 1.0, Decimal("1"), None, [], {}, b"1",
]  # fmt: skip


def _outcome(fn: Any, value: Any) -> tuple[str, Any]:
    try:
        got = fn(value)
    except Exception as exc:  # the refusal's type and message are compared
        return "refused", (type(exc), str(exc))
    return "accepted", (type(got), got)


@pytest.mark.parametrize("value", _NUMBERS, ids=repr)
def test_line_number_input_answers_as_before(value: Any) -> None:
    assert _outcome(_parse_line_number, value) == _outcome(_old_parse_line_number, value)


def test_line_key_answers_as_before() -> None:
    rng = random.Random(21)
    alphabet = "0123456789 aAßİ\u0661¹\t-+."
    texts = [v for v in _NUMBERS if isinstance(v, str)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(3000)]
    for text in texts:
        assert _outcome(line_key, text) == _outcome(_old_line_key, text), repr(text)


@dataclass
class _Line:
    id: int
    quantity: int
    qty_accepted: int
    qty_backordered: int
    qty_cancelled: int
    qty_shipped: int
    qty_invoiced: int
    ack_price: Decimal | None = None
    change_reason: str | None = None


def _old_quantities_after(lines: list[Any], changes: dict[int, LineChange]) -> list[LineQuantities]:
    def quantities(change: LineChange, ordered: int) -> LineQuantities:
        return LineQuantities(
            ordered=ordered,
            accepted=change.qty_accepted,
            backordered=change.qty_backordered,
            cancelled=change.qty_cancelled,
            shipped=change.qty_shipped,
            invoiced=change.qty_invoiced,
        )

    return [quantities(changes.get(line.id) or line_update(line), line.quantity) for line in lines]


_FIGURES = ["qty_accepted", "qty_backordered", "qty_cancelled", "qty_shipped", "qty_invoiced"]


def _line(i: int, rng: random.Random) -> _Line:
    q = [rng.randint(0, 9) for _ in range(6)]
    return _Line(i, q[0], q[1], q[2], q[3], q[4], q[5])


def _figures(rng: random.Random) -> dict[str, Any]:
    return {f: rng.randint(0, 9) for f in rng.sample(_FIGURES, rng.randint(0, 5))}


def test_quantities_after_answers_as_before() -> None:
    rng = random.Random(21)
    for _ in range(500):
        lines = [_line(i, rng) for i in range(rng.randint(0, 8))]
        changes = {line.id: line_update(line, **_figures(rng)) for line in lines if rng.random() < 0.5}
        changes[999] = line_update(_Line(999, 1, 1, 0, 0, 0, 0))  # a change for no line is ignored
        assert quantities_after(lines, changes) == _old_quantities_after(lines, changes)
