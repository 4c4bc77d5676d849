"""Signing in to the dashboard over plain HTTP, orders to look at, and a bulk import held part done."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import update

from pohub.core import clock
from pohub.db.engine import Database
from pohub.dialects.wms import importer
from pohub.documents.examples import sales_order
from pohub.jobs import repository as jobs_repo
from pohub.jobs import runner
from pohub.jobs.models import jobs
from pohub.users import service as users
from tests.support import PATIENCE, LiveServer, Party, Trade

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SKU1 = "49-98760"
SKU2 = "PIP-200"
T = TypeVar("T")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def browser(server: LiveServer) -> httpx.Client:
    """A client that keeps cookies, like a browser (redirects are followed by hand)."""
    return httpx.Client(base_url=server.url, timeout=30)


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    name: str
    role: str


def make_user(server: LiveServer, party: Party, role: str = "admin", name: str | None = None) -> Person:
    """A dashboard user of the party's company with a first password (through the users service)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@{party.name}.example"
    name = name or f"{role.capitalize()} of {party.name}"

    async def work() -> str:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                added = await users.add_user(
                    conn, company_id=party.id, email=email, role=role, name=name, first_password=True
                )
            assert added.password is not None
            return added.password
        finally:
            await db.dispose()

    return Person(email, in_thread(work), name, role)


def sign_in(server: LiveServer, party: Party, role: str = "admin") -> tuple[httpx.Client, str]:
    """A client signed in as a new user of the party (admin unless told), and the session's CSRF token."""
    client, token, _ = sign_in_as(server, make_user(server, party, role))
    return client, token


def sign_in_as(server: LiveServer, person: Person) -> tuple[httpx.Client, str, Person]:
    client = browser(server)
    token = csrf_of(client.get("/signin").text)
    r = client.post(
        "/signin", data={"csrf": token, "email": person.email, "password": person.password, "next": "/orders"}
    )
    assert r.status_code == 303, r.text
    return client, csrf_of(client.get("/orders").text), person


def two_lines(trade: Trade, po: str, **changes: Any) -> dict[str, Any]:
    return sales_order(
        PartnerPO=po,
        SenderCompanyId=trade.buyer.id,
        ReceiverCompanyId=trade.supplier.id,
        OrderLines=[
            {
                "LineNumber": "01",
                "Quantity": 5,
                "Price": 31.02,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": SKU1},
            },
            {
                "LineNumber": "02",
                "Quantity": 3,
                "Price": 10.5,
                "QuantityUOM": "EA",
                "ItemIdentifier": {"SupplierSKU": SKU2},
            },
        ],
        **changes,
    )


def create_order(trade: Trade, po: str, **changes: Any) -> str:
    r = trade.buyer.post("/Orders", json=two_lines(trade, po, **changes))
    assert r.status_code == 201, r.text
    return str(r.json()["Body"]["LogicbrokerKey"])


def api_order(party: Party, key: str) -> dict[str, Any]:
    r = party.get(f"/Orders/{key}")
    assert r.status_code == 200, r.text
    return dict(r.json()["Body"]["SalesOrder"])


def in_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async set-up on a thread of its own: Playwright's sync API keeps an event loop on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


HOLDER = "tests.web"  # the worker id a test holds a job's lease under


def held_job(server: LiveServer, buyer: Party, unit: int, orders: list[dict[str, Any]], *, first: int) -> int:
    """A real bulk import, its first ``first`` orders run by the job runner under a lease this test
    holds, so the job stays part done (the server's worker waits for the lease) until ``release_job``."""

    async def work() -> int:
        db = Database(server.database_url, pool_size=1)
        lease = timedelta(minutes=5)
        try:
            async with db.write() as conn:
                body = json.dumps({"data": orders}).encode()
                job_id, _ = await importer.submit(conn, company_id=buyer.id, business_unit=str(unit), body=body)
                held = {"status": "processing", "locked_by": HOLDER, "locked_until": clock.now() + lease}
                await conn.execute(update(jobs).where(jobs.c.id == job_id).values(**held))
            await runner.run_batch(db, job_id=job_id, worker_id=HOLDER, lease=lease, batch_size=first)
            return job_id
        finally:
            await db.dispose()

    return in_thread(work)


def release_job(server: LiveServer, job_id: int) -> None:
    """Let go of the lease: the server's worker takes the job over and finishes it."""

    async def work() -> None:
        db = Database(server.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                await jobs_repo.release(conn, job_id=job_id, worker_id=HOLDER)
        finally:
            await db.dispose()

    in_thread(work)


def wms_order(con: str, *lines: tuple[str, str, int]) -> dict[str, Any]:
    """A warehouse sales order for a bulk import: (customerLineNumber, skuId, quantity) per line."""
    return {
        "customerOrderNumber": con,
        "orderLines": [{"customerLineNumber": n, "skuId": sku, "quantity": q} for n, sku, q in lines],
    }


def wait_for(check: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found
