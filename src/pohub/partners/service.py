"""Companies, API keys and trading relationships."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import Conflict, NotFound, Unauthorized
from pohub.partners import repository as repo


@dataclass(frozen=True)
class Company:
    id: int
    name: str


def _builtin_sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 (``_sha2`` from 3.12, ``_sha256`` before): the same digest as hashlib's
    OpenSSL one, in about 60 % of the instructions for a key's few bytes (OpenSSL sets up an EVP
    context each call); hashlib's where the interpreter was built without it."""
    for name in ("_sha2", "_sha256"):
        with contextlib.suppress(ImportError):
            return importlib.import_module(name).sha256  # type: ignore[no-any-return]
    return hashlib.sha256


_SHA256 = _builtin_sha256()


def hash_key(key: str) -> str:
    # Keys are 192 random bits: a fast hash is enough, and lets every request look one up.
    return str(_SHA256(key.encode()).hexdigest())


async def add_company(conn: AsyncConnection, *, name: str) -> Company:
    """Create a trading partner; names are unique."""
    name = name.strip()
    if await repo.company_by_name_or_id(conn, name) is not None:
        raise Conflict(f"A company named {name!r} already exists")
    company_id = await repo.insert_company(conn, name=name, created_at=clock.now())
    return Company(company_id, name)


async def find_company(conn: AsyncConnection, *, ref: str) -> Company:
    """A company by id or name."""
    row = await repo.company_by_name_or_id(conn, ref)
    if row is None:
        raise NotFound(f"No company {ref!r}")
    return Company(row.id, row.name)


async def create_key(conn: AsyncConnection, *, company_id: int, label: str | None = None) -> str:
    """Issue an API key; the plain key is returned once and only its hash is stored."""
    key = "pohub_" + secrets.token_urlsafe(24)
    await repo.insert_key(
        conn,
        company_id=company_id,
        prefix=key[:12],
        key_hash=hash_key(key),
        label=label,
        created_at=clock.now(),
    )
    return key


async def connect(conn: AsyncConnection, *, buyer_id: int, supplier_id: int, invoice_required: bool = True) -> None:
    """Let a buyer and a supplier trade (again, with new settings if already connected)."""
    if buyer_id == supplier_id:
        raise Conflict("A company cannot trade with itself")
    await repo.upsert_partnership(
        conn,
        buyer_id=buyer_id,
        supplier_id=supplier_id,
        invoice_required=invoice_required,
        created_at=clock.now(),
    )


class KeyCache:
    """Remembers key hash -> company for a short while, so a request costs no key query."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._hits: dict[str, tuple[int, float]] = {}

    def get(self, key_hash: str) -> int | None:
        hit = self._hits.get(key_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key_hash: str, company_id: int) -> None:
        if len(self._hits) > 10_000:
            self._hits.clear()
        self._hits[key_hash] = (company_id, time.monotonic() + self.ttl)


async def company_for_key(conn: AsyncConnection, *, key: str | None) -> int:
    """The company an API key belongs to, or 401."""
    if not key:
        raise Unauthorized(
            "An API key is required: pass it as the subscription-key query parameter or an Authorization: Bearer header"
        )
    company_id = await repo.company_id_for_key_hash(conn, hash_key(key))
    if company_id is None:
        raise Unauthorized("The API key is not valid")
    return company_id
