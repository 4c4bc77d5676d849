"""A return's line writes as typed structures, so the type checker knows every column a rule sets
(the returns' counterpart of orders/store.py's LineChange)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from pohub.returns.status import ReturnLineQuantities


@dataclass(frozen=True)
class NewReturnLine:
    """A line of a requested return: nothing received or credited yet."""

    order_line_id: int
    position: int
    quantity: int
    reason_code: str | None
    reason: str | None

    def row(self, return_id: int) -> dict[str, Any]:
        return asdict(self) | {"return_id": return_id, "qty_received": 0, "qty_credited": 0}


@dataclass(frozen=True)
class ReturnLineChange:
    """A return line's figures as a receipt or a credit leaves them: the whole row update_line writes."""

    line_id: int
    qty_received: int
    qty_credited: int
    amount_credited: Decimal | None
    condition: str | None

    def values(self) -> dict[str, Any]:
        row = asdict(self)
        del row["line_id"]
        return row


def line_update(
    line: Any,
    *,
    qty_received: int | None = None,
    qty_credited: int | None = None,
    amount_credited: Decimal | None = None,
    condition: str | None = None,
) -> ReturnLineChange:
    """The return line's current figures, with the ones given changed (None keeps a figure)."""
    return ReturnLineChange(
        line_id=line.id,
        qty_received=line.qty_received if qty_received is None else qty_received,
        qty_credited=line.qty_credited if qty_credited is None else qty_credited,
        amount_credited=line.amount_credited if amount_credited is None else amount_credited,
        condition=line.condition if condition is None else condition,
    )


def quantities_after(lines: list[Any], changes: dict[int, ReturnLineChange]) -> list[ReturnLineQuantities]:
    """Every return line's figures once ``changes`` (return line id -> its change) are applied."""
    out = []
    for line in lines:
        c = changes.get(line.id) or line_update(line)
        out.append(ReturnLineQuantities(line.quantity, c.qty_received, c.qty_credited))
    return out
