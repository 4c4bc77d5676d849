"""Tables operations need: the processes that are alive (heartbeats) and rate-limit counters.

Both live in the database so that every server and worker, on any machine, sees the same figures:
processes find each other only through the database.
"""

from __future__ import annotations

from sqlalchemy import Column, Double, Index, Integer, String, Table

from pohub.db.base import AwareDateTime, metadata

ops_processes = Table(
    "ops_processes",
    metadata,
    Column("id", String(100), primary_key=True),  # host:pid:random
    Column("role", String(20), nullable=False),  # server | worker
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", String(50), nullable=False),
    Column("started_at", AwareDateTime(), nullable=False),
    # The process's own clock at its last beat, and how far it was from the database's clock then.
    Column("beat_at", AwareDateTime(), nullable=False),
    Column("clock_skew_seconds", Double, nullable=False),
    Index("ix_ops_processes_role_beat", "role", "beat_at"),
)

rate_limit_buckets = Table(
    "rate_limit_buckets",
    metadata,
    Column("bucket", String(200), primary_key=True),  # group:key-hash
    # GCRA's theoretical arrival time, in seconds of the limiter's clock.
    Column("tat", Double, nullable=False),
)
