"""`make soak`: two `pohub serve` processes and one `pohub worker` on a throwaway PostgreSQL database,
a steady load of the six-step flow, and one server SIGKILLed and restarted every few minutes.

At the end it reports requests, 5xx answers, connection errors (the killed server's), acknowledged
documents lost and duplicated (both must be 0), webhook deliveries, and each process's RSS at its
start and at the end. Settings (environment):

    SOAK_MINUTES       how long the load runs (default 10)
    SOAK_FLOWS         concurrent six-step flows (default 8)
    SOAK_KILL_SECONDS  seconds between kills (default 150, at most a third of the run)
    SOAK_DATABASE_URL  PostgreSQL to create the throwaway database on
                       (default POHUB_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)

Figures go to stdout and bench/results/soak.json. Exit code 1 when anything was lost or duplicated,
or a 5xx was answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from pohub.db.engine import Database  # noqa: E402
from pohub.db.migrate import upgrade  # noqa: E402
from pohub.partners import service as partners  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_tree_rss(pid: int) -> float:
    """RSS of a process and its children (`pohub serve` runs uvicorn in the same process)."""
    total = rss_mb(pid)
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += process_tree_rss(int(child))
    return total


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    incarnations: list[dict[str, float]] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [str(BIN / "pohub"), *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.incarnations.append({"pid": self.popen.pid, "rss_start_mb": 0.0, "rss_end_mb": 0.0})

    async def wait_healthy(self) -> None:
        if self.port is None:
            await asyncio.sleep(2)
            return
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log}")

    def note_rss(self, key: str) -> None:
        if self.popen is not None:
            self.incarnations[-1][key] = round(process_tree_rss(self.popen.pid), 1)

    def kill(self) -> None:
        assert self.popen is not None
        self.note_rss("rss_end_mb")
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()


@dataclass
class Tally:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    connection_errors: int = 0
    flows: int = 0
    acknowledged: dict[str, set[int]] = field(
        default_factory=lambda: {"order": set(), "acknowledgement": set(), "shipment": set(), "invoice": set()}
    )
    server_errors: list[str] = field(default_factory=list)


def ln_id(line: dict[str, Any]) -> dict[str, Any]:
    return {"LineNumber": line["LineNumber"], "ItemIdentifier": line["ItemIdentifier"]}


async def pg(url: str) -> Any:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )


class Load:
    """Six-step flows against the two servers; a request that meets a dead server goes to the other
    one with the same body (the duplicate rule answers 200 with the first key if it had landed)."""

    def __init__(self, ports: list[int], pairs: list[tuple[tuple[int, str], tuple[int, str]]], tally: Tally) -> None:
        self.ports = ports
        self.pairs = pairs
        self.tally = tally
        self.client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64))

    async def call(self, method: str, path: str, key: str, body: Any = None, params: Any = None) -> httpx.Response:
        start = random.randrange(len(self.ports))
        for attempt in range(20):
            port = self.ports[(start + attempt) % len(self.ports)]
            try:
                resp = await self.client.request(
                    method,
                    f"http://127.0.0.1:{port}/api/v1{path}",
                    json=body,
                    params=params,
                    headers={"Authorization": f"Bearer {key}"},
                )
            except httpx.TransportError:
                self.tally.connection_errors += 1
                await asyncio.sleep(0.2)
                continue
            self.tally.requests += 1
            self.tally.statuses[resp.status_code] = self.tally.statuses.get(resp.status_code, 0) + 1
            if resp.status_code >= 500:
                self.tally.server_errors.append(f"{method} {path} {resp.status_code} {resp.text[:200]}")
            return resp
        raise RuntimeError(f"{method} {path}: no server answered")

    async def flow(self, n: int) -> None:
        (buyer_id, buyer_key), (supplier_id, supplier_key) = self.pairs[n % len(self.pairs)]
        po = f"SOAK-{uuid.uuid4().hex[:12]}"
        lines = [
            {"LineNumber": f"{i:02d}", "Quantity": 10, "Price": 4.25, "ItemIdentifier": {"SupplierSKU": f"SKU-{i}"}}
            for i in range(1, 4)
        ]
        order = {"PartnerPO": po, "SenderCompanyId": buyer_id, "ReceiverCompanyId": supplier_id, "OrderLines": lines}
        r = await self.call("POST", "/Orders", buyer_key, order)
        if r.status_code == 409:  # landed before its server died: find it
            r = await self.call("GET", "/Orders", buyer_key, params={"partnerPO": po})
            key = int(r.json()["Records"][0]["Identifier"]["LogicbrokerKey"])
        else:
            assert r.status_code == 201, r.text
            key = int(r.json()["Body"]["LogicbrokerKey"])
        self.tally.acknowledged["order"].add(key)
        await self.call("GET", "/Orders", supplier_key, params={"Filters.status": "150", "partnerPO": po})
        await self.call("GET", f"/Orders/{key}", supplier_key)
        await self.call("PUT", f"/Orders/{key}/Status/200", supplier_key)
        ack = {
            "AcknowledgementNumber": f"A-{po}",
            "Identifier": {"LinkKey": str(key)},
            "ScheduledShipDate": "2026-12-01",
            "AckLines": [{**ln_id(ln), "Quantity": 10} for ln in lines],
        }
        ship = {
            "ShipmentNumber": f"S-{po}",
            "ShipmentDate": "2026-12-01T10:00:00Z",
            "ShipmentLines": [{**ln_id(ln), "Quantity": 10} for ln in lines],
        }
        inv = {
            "InvoiceNumber": f"I-{po}",
            "InvoiceLines": [{**ln_id(ln), "Quantity": 10, "Price": 4.25} for ln in lines],
        }
        for kind, path, body in (
            ("acknowledgement", "/Acknowledgements", ack),
            ("shipment", f"/Shipment/{key}", ship),
            ("invoice", f"/Invoice/{key}", inv),
        ):
            r = await self.call("POST", path, supplier_key, body)
            assert r.status_code in (200, 201), f"{kind}: {r.status_code} {r.text}"
            self.tally.acknowledged[kind].add(int(r.json()["Body"]["LogicbrokerKey"]))
        self.tally.flows += 1

    async def run(self, flows: int, until: float) -> None:
        async def lane(n: int) -> None:
            i = n
            while time.monotonic() < until:
                try:
                    await self.flow(i)
                except (AssertionError, RuntimeError, KeyError, ValueError) as exc:
                    self.tally.server_errors.append(f"flow failed: {exc}"[:300])
                i += flows

        await asyncio.gather(*(lane(n) for n in range(flows)))
        await self.client.aclose()


async def receiver(counter: list[int]) -> tuple[asyncio.Server, int]:
    """A webhook receiver that answers 200 to everything (the worker's deliveries land here)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for row in head.split(b"\r\n"):
                    if row.lower().startswith(b"content-length:"):
                        length = int(row.split(b":")[1])
                await reader.readexactly(length)
                counter[0] += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def setup(url: str, pairs: int) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    db = Database(url, pool_size=1)
    out = []
    try:
        async with db.write() as conn:
            for i in range(pairs):
                b = await partners.add_company(conn, name=f"soak-buyer-{i}")
                s = await partners.add_company(conn, name=f"soak-supplier-{i}")
                await partners.connect(conn, buyer_id=b.id, supplier_id=s.id, invoice_required=True)
                out.append(
                    (
                        (b.id, await partners.create_key(conn, company_id=b.id)),
                        (s.id, await partners.create_key(conn, company_id=s.id)),
                    )
                )
    finally:
        await db.dispose()
    return out


async def verify(url: str, tally: Tally) -> dict[str, int]:
    conn = await pg(url)
    try:
        lost = 0
        for kind, keys in tally.acknowledged.items():
            found = {r["id"] for r in await conn.fetch("SELECT id FROM documents WHERE kind = $1", kind)}
            lost += len(keys - found)
        dup_docs = await conn.fetchval(
            "SELECT count(*) FROM (SELECT order_id, kind, number FROM documents WHERE kind <> 'order' "
            "GROUP BY order_id, kind, number HAVING count(*) > 1) d"
        )
        dup_orders = await conn.fetchval(
            "SELECT count(*) FROM (SELECT partner_po FROM documents WHERE kind = 'order' "
            "GROUP BY sender_company_id, partner_po HAVING count(*) > 1) d"
        )
        pending = await conn.fetchval(
            "SELECT count(*) FROM exchanges WHERE direction = 'out' AND state IN ('queued', 'sending')"
        )
        delivered = await conn.fetchval("SELECT count(*) FROM exchanges WHERE direction = 'out' AND state = 'sent'")
        return {
            "lost": lost,
            "duplicated": int(dup_docs) + int(dup_orders),
            "deliveries_delivered": int(delivered),
            "deliveries_pending": int(pending),
        }
    finally:
        await conn.close()


async def admin(base: str, sql: str) -> None:
    conn = await pg(base)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main() -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    flows = int(os.environ.get("SOAK_FLOWS", "8"))
    duration = minutes * 60
    kill_every = min(float(os.environ.get("SOAK_KILL_SECONDS", "150")), duration / 3)
    base = os.environ.get("SOAK_DATABASE_URL") or os.environ.get(
        "POHUB_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"pohub_soak_{uuid.uuid4().hex[:8]}"
    await admin(base, f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    logs = ROOT / "var" / "soak"
    logs.mkdir(parents=True, exist_ok=True)
    procs: list[Proc] = []
    try:
        await asyncio.to_thread(upgrade, url)
        pairs = await setup(url, 4)
        delivered = [0]
        hook_server, hook_port = await receiver(delivered)
        env = {
            **os.environ,
            "POHUB_DATABASE_URL": url,
            "POHUB_EMBEDDED_WORKER": "false",
            "POHUB_SECRET_KEY": uuid.uuid4().hex * 2,
            "POHUB_LOG_FORMAT": "json",
        }
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            procs.append(
                Proc(f"server-{i + 1}", ["serve", "--port", str(port)], env, logs / f"server-{i + 1}.log", port)
            )
        procs.append(Proc("worker", ["worker"], env, logs / "worker.log"))
        for p in procs:
            p.start()
        for p in procs:
            await p.wait_healthy()
        # Every buyer subscribes its orders' events: the worker has real deliveries to make.
        async with httpx.AsyncClient() as c:
            for (_, buyer_key), _ in pairs:
                r = await c.post(
                    f"http://127.0.0.1:{ports[0]}/api/v1/Webhooks",
                    json={"Address": f"http://127.0.0.1:{hook_port}/hook", "Topic": "*", "Enabled": True},
                    headers={"Authorization": f"Bearer {buyer_key}"},
                )
                r.raise_for_status()
        tally = Tally()
        started = time.monotonic()
        until = started + duration
        load = asyncio.create_task(Load(ports, pairs, tally).run(flows, until))
        await asyncio.sleep(min(10, duration / 10))
        for p in procs:
            p.note_rss("rss_start_mb")
        kills = 0
        next_kill = started + kill_every
        while time.monotonic() < until:
            await asyncio.sleep(1)
            if time.monotonic() >= next_kill and time.monotonic() < until - 5:
                victim = procs[kills % 2]
                pid = victim.popen.pid if victim.popen else 0
                print(f"[{time.monotonic() - started:6.0f}s] SIGKILL {victim.name} (pid {pid})", flush=True)
                victim.kill()
                kills += 1
                victim.start()
                await victim.wait_healthy()
                victim.note_rss("rss_start_mb")
                next_kill += kill_every
        await load
        for p in procs:
            p.note_rss("rss_end_mb")
        # Let the worker catch up a little before counting deliveries.
        await asyncio.sleep(5)
        figures = await verify(url, tally)
        hook_server.close()
        elapsed = time.monotonic() - started
        report = {
            "minutes": minutes,
            "concurrent_flows": flows,
            "kills": kills,
            "flows_completed": tally.flows,
            "flows_per_second": round(tally.flows / elapsed, 1),
            "requests": tally.requests,
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "5xx": sum(v for k, v in tally.statuses.items() if k >= 500),
            "connection_errors_retried": tally.connection_errors,
            "acknowledged_documents": sum(len(v) for v in tally.acknowledged.values()),
            "lost": figures["lost"],
            "duplicated": figures["duplicated"],
            "webhook_deliveries_received": delivered[0],
            "webhook_deliveries_pending_at_end": figures["deliveries_pending"],
            "processes": {p.name: p.incarnations for p in procs},
            "errors": tally.server_errors[:10],
        }
        print(json.dumps(report, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "soak.json").write_text(json.dumps(report, indent=2))
        return 1 if report["lost"] or report["duplicated"] or report["5xx"] or tally.server_errors else 0
    finally:
        for p in procs:
            p.stop()
        await admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
