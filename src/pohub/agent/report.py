"""What a run did: counts for the summary table, every failure with the server's reasons, and the
same as JSON for machines."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from pohub.core.money import ZERO


@dataclass(frozen=True)
class Problem:
    """A document (or an input row) that did not go through."""

    kind: str
    partner_po: str
    order_key: str
    number: str
    reason: str
    status_code: int | None = None
    errors: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "PartnerPO": self.partner_po,
            "LogicbrokerKey": self.order_key,
            "number": self.number,
            "reason": self.reason,
            "status_code": self.status_code,
            "errors": list(self.errors),
        }


@dataclass
class Report:
    acknowledged: int = 0
    updated: int = 0
    accepted_units: int = 0
    backordered_units: int = 0
    backordered_pos: int = 0
    cancelled_units: int = 0
    cancelled_lines: int = 0
    shipped: int = 0
    shipped_units: int = 0
    invoiced: int = 0
    invoiced_amount: Decimal = ZERO
    resumed: int = 0
    duplicates: int = 0
    already_done: int = 0
    failures: list[Problem] = field(default_factory=list)
    held: list[Problem] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "acknowledged": self.acknowledged,
            "updated": self.updated,
            "accepted_units": self.accepted_units,
            "backordered": self.backordered_pos,
            "backordered_units": self.backordered_units,
            "cancelled_lines": self.cancelled_lines,
            "cancelled_units": self.cancelled_units,
            "shipped": self.shipped,
            "shipped_units": self.shipped_units,
            "invoiced": self.invoiced,
            "invoiced_amount": str(self.invoiced_amount),
            "resumed": self.resumed,
            "duplicates": self.duplicates,
            "already_done": self.already_done,
            "failed": len(self.failures),
            "failures": [p.as_dict() for p in self.failures],
            "held": [p.as_dict() for p in self.held],
            "stats": self.stats,
            "seconds": round(self.seconds, 3),
        }

    def render(self, console: Console) -> None:
        table = Table(title="pohub agent", show_lines=False)
        table.add_column("")
        table.add_column("documents", justify="right")
        table.add_column("detail")
        table.add_row("acknowledged", str(self.acknowledged), f"{self.accepted_units} units accepted")
        table.add_row("updated", str(self.updated), "later acknowledgements (stock arrived)")
        table.add_row("backordered", str(self.backordered_pos), f"{self.backordered_units} units")
        table.add_row("cancelled", str(self.cancelled_lines), f"{self.cancelled_units} units (lines)")
        table.add_row("shipped", str(self.shipped), f"{self.shipped_units} units")
        table.add_row("invoiced", str(self.invoiced), f"{self.invoiced_amount} billed")
        if self.resumed or self.duplicates or self.already_done:
            table.add_row(
                "resumed",
                str(self.resumed),
                f"{self.duplicates} already on the server, {self.already_done} already done",
            )
        table.add_row("failed", str(len(self.failures)), "see below" if self.failures else "")
        if self.held:
            table.add_row("held", str(len(self.held)), "refused earlier, input unchanged: not sent again")
        console.print(table)
        for title, problems in (("Failed", self.failures), ("Held (refused earlier)", self.held)):
            if not problems:
                continue
            detail = Table(title=title, show_lines=False)
            for col in ("kind", "PartnerPO", "number", "reason"):
                detail.add_column(col, overflow="fold")
            for p in problems:
                detail.add_row(p.kind, p.partner_po, p.number, p.reason)
            console.print(detail)
        if self.stats:
            s = self.stats
            console.print(
                f"{s.get('requests', 0)} requests, {s.get('retries', 0)} retries, "
                f"{s.get('throttled_seconds', 0)} s waiting for the rate limit, {self.seconds:.1f} s in all"
            )
