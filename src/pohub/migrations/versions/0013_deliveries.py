"""exchanges: the claim's index by channel (ix_exchanges_due: channel, next_attempt_at, id), so that a
claim reads its channel's due exchanges in order and stops at its batch; and the pending outbound
exchanges of each endpoint by id (ix_exchanges_pending_endpoint), so that keeping a subscription's
deliveries in order reads no history. Both partial: settled exchanges are in neither.

Revision ID: deliveries
Revises: edi
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "deliveries"
down_revision = "edi"
branch_labels = None
depends_on = None

PENDING = "direction = 'out' AND state IN ('queued', 'sending')"


def _index(name: str, columns: list[str]) -> None:
    op.create_index(
        name, "exchanges", columns, unique=False, sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING)
    )


def upgrade() -> None:
    op.drop_index("ix_exchanges_due", table_name="exchanges")
    _index("ix_exchanges_due", ["channel", "next_attempt_at", "id"])
    _index("ix_exchanges_pending_endpoint", ["channel", "endpoint_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_exchanges_pending_endpoint", table_name="exchanges")
    op.drop_index("ix_exchanges_due", table_name="exchanges")
    _index("ix_exchanges_due", ["next_attempt_at", "id"])
