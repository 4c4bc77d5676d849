"""Migration 0011 (lifecycle) on both databases: the stock already published stays, as the figure for
every buyer (buyer 0); a buyer's own figure can sit beside it; return receipts are unique by number;
and it goes down again, keeping the figures for every buyer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.exc import IntegrityError

from pohub.db.migrate import alembic_config
from tests.integration.test_exchanges_migration import NOW, run
from tests.support import database_url


@pytest.fixture
def at_dialect_gaps(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path, revision="dialect_gaps") as url:
        yield url


def _item(sku: str, quantity: int, buyer: int | None = None) -> str:
    cols, vals = "supplier_id, sku, quantity, updated_at", f"1, '{sku}', {quantity}, '{NOW}'"
    if buyer is not None:
        cols, vals = cols + ", buyer_id", vals + f", {buyer}"
    return f"INSERT INTO inventory_items ({cols}) VALUES ({vals})"


def test_upgrade_keeps_stock_and_downgrade_keeps_the_figures_for_every_buyer(at_dialect_gaps: str) -> None:
    url = at_dialect_gaps
    run(url, f"INSERT INTO companies (id, name, created_at) VALUES (1, 'S', '{NOW}'), (2, 'B', '{NOW}')")
    run(url, _item("OLD", 5))
    command.upgrade(alembic_config(url), "lifecycle")
    assert run(url, "SELECT sku, buyer_id, quantity FROM inventory_items") == [
        {"sku": "OLD", "buyer_id": 0, "quantity": 5}
    ]
    run(url, _item("OLD", 2, buyer=2))  # the same SKU for one buyer: a row of its own
    with pytest.raises(IntegrityError):
        run(url, _item("OLD", 9, buyer=2))
    run(
        url,
        "INSERT INTO documents (id, kind, sender_company_id, receiver_company_id, partner_po, status,"
        " document_date, created_at, updated_at, body_hash, raw)"
        f" VALUES (10, 'return', 2, 1, 'PO', 100, '{NOW}', '{NOW}', '{NOW}', 'h', '{{}}')",
    )
    receipt = f"INSERT INTO return_receipts (return_id, number, body_hash, created_at) VALUES (10, 'GRN', 'h', '{NOW}')"
    run(url, receipt)
    with pytest.raises(IntegrityError):
        run(url, receipt)

    command.downgrade(alembic_config(url), "dialect_gaps")
    assert run(url, "SELECT sku, quantity FROM inventory_items") == [{"sku": "OLD", "quantity": 5}]
    with pytest.raises(IntegrityError):
        run(url, _item("OLD", 1))  # (supplier, SKU) is the key again
    command.upgrade(alembic_config(url), "lifecycle")
