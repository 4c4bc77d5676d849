"""Durable background jobs and their items.

A job and all its items are written in the same transaction as the upload that asks for them; a
worker claims the job (a lease, and FOR UPDATE SKIP LOCKED on PostgreSQL) and works through the
items in batches, each batch committing its items' results and the job's progress together.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from pohub.db.base import AwareDateTime, BigId, metadata

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    # queued -> processing -> completed
    Column("status", String(20), nullable=False),
    Column("params", Text, nullable=False),
    Column("total", Integer, nullable=False),
    Column("processed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("locked_by", String(100), nullable=True),
    Column("locked_until", AwareDateTime(), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("updated_at", AwareDateTime(), nullable=False),
    Column("finished_at", AwareDateTime(), nullable=True),
    Index("ix_jobs_status", "status", "id"),
    Index("ix_jobs_company", "company_id", "id"),
)

job_items = Table(
    "job_items",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("job_id", BigId, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("ref", String(100), nullable=True),
    Column("raw", Text, nullable=False),
    # pending -> done | failed, in the same transaction as the document it creates
    Column("state", String(10), nullable=False),
    Column("document_id", BigId, nullable=True),
    Column("error", Text, nullable=True),
    UniqueConstraint("job_id", "seq", name="uq_job_items_job_seq"),
    Index("ix_job_items_state", "job_id", "state", "seq"),
)
