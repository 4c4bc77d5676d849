"""Dashboard users: one row per person, in one company, with one role.

Passwords are stored as argon2id hashes; an invitation as the SHA-256 of its token (the token is
shown once). ``session_version`` is in every session cookie: bumping it (removal, new password,
new role) ends the person's sessions on the next page they open.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from pohub.db.base import AwareDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-case: the sign-in name
    Column("name", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("password_hash", String(200), nullable=True),  # None until an invitation is accepted
    Column("invite_hash", String(64), nullable=True, unique=True),
    Column("invite_expires_at", AwareDateTime(), nullable=True),
    Column("session_version", Integer, nullable=False, default=1),
    Column("failed_signins", Integer, nullable=False, default=0),
    Column("locked_until", AwareDateTime(), nullable=True),
    Column("created_at", AwareDateTime(), nullable=False),
    Column("removed_at", AwareDateTime(), nullable=True),
)
