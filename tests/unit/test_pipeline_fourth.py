"""The pipeline's Python, fourth pass (stop 27): each replaced piece kept here as it was, and the new
one compared with it over random inputs (docs/performance.md, "The pipeline's Python, fourth pass
(stop 27)")."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest

from pohub.acknowledgements.service import _figures
from pohub.core.errors import PohubError, invalid
from pohub.documents.logicbroker import AckLine, ItemIdentifier, OrderLine, SalesOrder
from pohub.orders import events, service
from pohub.orders.service import Created
from pohub.orders.status import LineQuantities, OrderStatus, all_cancelled
from pohub.orders.store import LineChange, line_update, with_invoiced, with_shipped
from tests.unit.rules import order_line
from tests.unit.test_pipeline_python import _old_line_rows, _old_validate_order

# --- the replaced code, as it was -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _OldCreated:
    key: int
    status: int
    duplicate: bool = False
    order_id: int | None = None
    partner_id: int | None = None


class _OldLineFigures(NamedTuple):
    accepted: int
    backordered: int
    cancelled: int


def _old_figures(i: int, ack_line: Any, line: Any) -> _OldLineFigures:
    backordered = ack_line.quantity_backordered or 0
    cancelled = ack_line.quantity_cancelled or 0
    accepted = ack_line.quantity if ack_line.quantity is not None else line.quantity - backordered - cancelled
    if accepted < 0 or backordered < 0 or cancelled < 0:
        for name, value in (
            ("Quantity", accepted),
            ("QuantityBackordered", backordered),
            ("QuantityCancelled", cancelled),
        ):
            if value < 0:
                raise invalid(f"AckLines[{i}].{name}", f"must not be negative (got {value})")
    if accepted + backordered + cancelled > line.quantity:
        raise invalid(
            f"AckLines[{i}].Quantity",
            f"accepted {accepted} + backordered {backordered} + cancelled {cancelled} = "
            f"{accepted + backordered + cancelled} exceeds the {line.quantity} ordered on line {line.line_number}",
        )
    if cancelled > line.quantity - line.qty_shipped:
        raise invalid(
            f"AckLines[{i}].QuantityCancelled",
            f"cannot cancel {cancelled} on line {line.line_number}: {line.qty_shipped} of {line.quantity} "
            "have already shipped",
        )
    if ack_line.price is not None and ack_line.price < 0:
        raise invalid(f"AckLines[{i}].Price", "must not be negative")
    return _OldLineFigures(accepted, backordered, cancelled)


def _old_all_cancelled(lines: Any) -> bool:
    lines = list(lines)
    return bool(lines) and all(line.cancelled >= line.ordered for line in lines)


# --- helpers ----------------------------------------------------------------------------------------


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "answer", fn(*args)
    except PohubError as exc:
        return "refused", (type(exc), exc.message, [(e.field, e.error) for e in exc.errors])


def _random_line(rng: random.Random, i: int) -> Any:
    q = [rng.randint(0, 9) for _ in range(6)]
    return order_line(
        str(i + 1),
        line_id=rng.randint(1, 10**9),
        quantity=q[0],
        accepted=q[1],
        backordered=q[2],
        cancelled=q[3],
        shipped=q[4],
        invoiced=q[5],
        ack_price=rng.choice([None, Decimal("1.5"), Decimal("0"), Decimal("-0.00")]),
        change_reason=rng.choice([None, "", "price agreed"]),
    )


# --- a line's change --------------------------------------------------------------------------------


def test_line_update_is_the_named_tuple_made_by_its_fields() -> None:
    rng = random.Random(27)
    for i in range(3000):
        line = _random_line(rng, i)
        given: dict[str, Any] = {}
        for f in rng.sample(["qty_accepted", "qty_backordered", "qty_cancelled", "qty_shipped", "qty_invoiced"], 3):
            given[f] = rng.choice([None, rng.randint(0, 9)])
        if rng.random() < 0.5:
            given["ack_price"] = rng.choice([None, Decimal("2.25")])
        if rng.random() < 0.5:
            given["change_reason"] = rng.choice([None, "", "backordered"])
        new = line_update(line, **given)
        # What the named tuple's own constructor, by keywords, makes of the same figures.
        kept = {f: getattr(line, f) for f in LineChange._fields[1:]}
        expected = LineChange(
            line_id=line.id,
            **(kept | {k: v for k, v in given.items() if v is not None or k in ("ack_price", "change_reason")}),
        )
        assert type(new) is LineChange
        assert new == expected
        assert list(new.row().items()) == list(expected.row().items())


def test_with_shipped_and_with_invoiced_are_line_update_of_one_figure() -> None:
    rng = random.Random(2027)
    for i in range(3000):
        line = _random_line(rng, i)
        n = rng.randint(0, 20)
        for new, old in (
            (with_shipped(line, n), line_update(line, qty_shipped=n)),
            (with_invoiced(line, n), line_update(line, qty_invoiced=n)),
        ):
            assert type(new) is LineChange
            assert new == old
            assert list(new.row().items()) == list(old.row().items())  # keys, order and values
            assert all(type(a) is type(b) for a, b in zip(new, old, strict=True))


# --- an acknowledgement line's figures ------------------------------------------------------------


def _random_ack_line(rng: random.Random) -> AckLine:
    def qty() -> Any:
        return rng.choice([None, None, 0, 1, 2, 5, 10, -1])

    fields = {"Quantity": qty(), "QuantityBackordered": qty(), "QuantityCancelled": qty()}
    fields["Price"] = rng.choice([None, 0, 1.25, -0.01, Decimal("3.5")])
    return AckLine.model_validate({"ItemIdentifier": {}, **{k: v for k, v in fields.items() if v is not None}})


def test_ack_figures_answer_as_before() -> None:
    rng = random.Random(127)
    answered = refused = 0
    for i in range(4000):
        line = _random_line(rng, i)
        ack_line = _random_ack_line(rng)
        index = rng.randint(0, 12)
        new, old = _outcome(_figures, index, ack_line, line), _outcome(_old_figures, index, ack_line, line)
        if old[0] == "answer":
            answered += 1
            assert new[0] == "answer" and type(new[1]) is tuple
            assert new[1] == tuple(old[1])
            assert [type(v) for v in new[1]] == [type(v) for v in old[1]]
        else:
            refused += 1
            assert new == old
    assert answered > 300 and refused > 300


# --- every line cancelled ----------------------------------------------------------------------------


def test_all_cancelled_answers_as_before() -> None:
    rng = random.Random(7)
    seen = {True: 0, False: 0}
    for _ in range(5000):
        lines = []
        for _ in range(rng.randint(0, 6)):
            ordered = rng.randint(0, 5)
            cancelled = rng.choice([ordered, ordered, ordered - 1, ordered + 1, 0])
            lines.append(LineQuantities(ordered, rng.randint(0, 5), 0, cancelled, rng.randint(0, 5)))
        new, old = all_cancelled(lines), _old_all_cancelled(lines)
        assert new is old
        assert all_cancelled(iter(lines)) is old  # any iterable, read once
        seen[new] += 1
    assert seen[True] > 500 and seen[False] > 500


# --- what a document answers -------------------------------------------------------------------------


def test_created_is_the_frozen_dataclass_it_was() -> None:
    rng = random.Random(3)
    for _ in range(500):
        args = [rng.randint(1, 99), rng.choice([150, 500, 1000])]
        kwargs = {k: rng.choice([None, rng.randint(1, 9)]) for k in rng.sample(["order_id", "partner_id"], 2)}
        if rng.random() < 0.5:
            kwargs["duplicate"] = rng.choice([True, False])
        new, old = Created(*args, **kwargs), _OldCreated(*args, **kwargs)
        assert dataclasses.astuple(new) == dataclasses.astuple(old)
        assert repr(new).removeprefix("Created") == repr(old).removeprefix("_OldCreated")
        assert vars(new) == vars(old) and list(vars(new)) == list(vars(old))  # key order too
        assert hash(new) == hash(Created(*args, **kwargs))
        assert new == Created(*args, **kwargs)
        assert dataclasses.replace(new, key=1) == Created(1, *args[1:], **kwargs)
    created = Created(5, 201, order_id=5)
    assert [f.name for f in dataclasses.fields(created)] == [f.name for f in dataclasses.fields(_OldCreated)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        created.key = 6  # type: ignore[misc]
    with pytest.raises(TypeError):
        Created(1)  # type: ignore[call-arg]


# --- a PO's line checks, on values the model would not let through -------------------------------


def test_the_po_line_checks_answer_as_before_for_any_value() -> None:
    # Built without validation: blank and padded strings, empty lists, numbers, None. A present
    # string is taken at once; every other value is asked of present() as before.
    rng = random.Random(2712)
    values: list[Any] = ["1", " 1 ", "01", "A", "", " ", "  \t", None, [], 0, 3, ["x"]]
    refused = 0
    for _ in range(3000):
        lines = [
            OrderLine.model_construct(
                line_number=rng.choice(values),
                quantity=rng.choice([1, 2]),
                price=None,
                description=rng.choice([None, "", "BLOUSE", "D" * 600, " "]),
                quantity_uom=rng.choice([None, "EA"]),
                item_identifier=ItemIdentifier.model_construct(
                    supplier_sku=rng.choice(values), partner_sku=rng.choice([None, "P"])
                ),
            )
            for _ in range(rng.randint(1, 4))
        ]
        po = SalesOrder.model_construct(partner_po="PO-1", order_lines=lines)
        new, old = _outcome(service._validate_order, po), _outcome(_old_validate_order, po)
        assert new[0] == old[0] and (new[0] == "answer" or new == old), (new, old)
        refused += new[0] == "refused"
        if new[0] == "answer":
            rows = service.line_rows(9, po, new[1])
            assert rows == _old_line_rows(9, po)
            assert [list(r) for r in rows] == [list(r) for r in _old_line_rows(9, po)]  # key order
    assert refused > 1000


# --- the status event's summary -----------------------------------------------------------------


def test_the_status_event_reads_as_before_for_every_pair() -> None:
    order = SimpleNamespace(id=5, sender_company_id=2, receiver_company_id=3)
    at = datetime(2026, 12, 4, tzinfo=UTC)
    for old in OrderStatus:
        for new in OrderStatus:
            row = events.status_changed(order=order, at=at, old=old, new=new, reason="Shipment 9 received")
            assert row["summary"] == f"Status changed from {int(old)} {old.label} to {int(new)} {new.label}"
            assert row["details"] == "Shipment 9 received"
