"""Inventory broadcast: a 100,000-row CSV posted to a real `pohub serve` process, timed, with that
process's peak resident memory (VmHWM) before and after; then the CSV download of the same stock.

    python -m bench.inventory_bench [--rows 100000] [--bad 10] [--database-url URL]

Each row has a SKU, descriptions, a cost, next-available figures and two warehouses; ``--bad`` rows
are broken on purpose (a quantity that is not a number), so the run also exercises the bad-rows
report. Memory is the server's, read from /proc (Linux), so the figures include nothing of this
script's own CSV generation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from pohub.db.engine import Database
from pohub.db.migrate import upgrade
from pohub.partners import service as partners

HEADER = (
    "SupplierSKU,MerchantSKU,SupplierDescription,Quantity,NextAvailableQuantity,NextAvailableDate,UOM,Cost,"
    "LeadTime,Status,Warehouse,WarehouseQuantity,Warehouse2,Warehouse2Quantity,Warehouse2NextAvailableQuantity,"
    "Warehouse2NextAvailableDate\r\n"
)


def feed(rows: int, bad: int) -> bytes:
    every = rows // bad if bad else 0
    lines = [HEADER]
    for i in range(rows):
        quantity = "lots" if every and i % every == every - 1 else str(i % 500 + 20)
        lines.append(
            f"SKU-{i:07d},M-{i:07d},Pipette tips 200 uL box {i},{quantity},{i % 50},2026-12-{i % 28 + 1:02d},EA,"
            f"{i % 97}.25,{i % 14} days,active,EAST,{i % 500},WEST,10,{i % 7},2026-11-{i % 28 + 1:02d}\r\n"
        )
    return "".join(lines).encode()


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (a loaded machine stretches wall time, not this)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def _parties(url: str) -> tuple[int, str, int, str]:
    db = Database(url, pool_size=1)
    try:
        async with db.write() as conn:
            tag = uuid.uuid4().hex[:8]
            buyer = await partners.add_company(conn, name=f"bench-buyer-{tag}")
            supplier = await partners.add_company(conn, name=f"bench-supplier-{tag}")
            await partners.connect(conn, buyer_id=buyer.id, supplier_id=supplier.id)
            return (
                buyer.id,
                await partners.create_key(conn, company_id=buyer.id),
                supplier.id,
                await partners.create_key(conn, company_id=supplier.id),
            )
    finally:
        await db.dispose()


def _serve(url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "POHUB_DATABASE_URL": url,
        "POHUB_PORT": str(port),
        "POHUB_SECRET_KEY_FILE": str(tmp / "secret.key"),
        "POHUB_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "pohub.cli.main", "serve"], env=env)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/Statuses", timeout=1)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("pohub serve did not start") from None
            time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(url: str, rows: int, bad: int, tmp: Path) -> dict[str, Any]:
    _, buyer_key, supplier_id, supplier_key = asyncio.run(_parties(url))
    body = feed(rows, bad)
    port = _free_port()
    proc = _serve(url, port, tmp)
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        with httpx.Client(timeout=600) as http:
            # A small broadcast first, so that what is measured is the import, not the first request.
            http.post(
                f"{api}/Inventory/Broadcast",
                content=HEADER.encode() + b"WARM-UP,,,1,,,,,,,,,,,,\r\n",
                headers={"Authorization": f"Bearer {supplier_key}", "Content-Type": "text/csv"},
            ).raise_for_status()
            rss_before, peak_before = peak_rss_mb(proc.pid)
            cpu_before = cpu_seconds(proc.pid)
            started = time.perf_counter()
            answer = http.post(
                f"{api}/Inventory/Broadcast",
                content=body,
                headers={"Authorization": f"Bearer {supplier_key}", "Content-Type": "text/csv"},
            )
            import_s = time.perf_counter() - started
            import_cpu = cpu_seconds(proc.pid) - cpu_before
            answer.raise_for_status()
            _, peak_after = peak_rss_mb(proc.pid)
            result = answer.json()["Body"]
            started = time.perf_counter()
            size = 0
            with http.stream(
                "GET", f"{api}/Inventory/{supplier_id}", headers={"Authorization": f"Bearer {buyer_key}"}
            ) as download:
                download.raise_for_status()
                for chunk in download.iter_bytes():
                    size += len(chunk)
            download_s = time.perf_counter() - started
            _, peak_download = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    mb = len(body) / 1e6
    print(f"inventory broadcast ({backend}): {rows} CSV rows ({mb:.1f} MB), {bad} bad")
    print(f"  imported / refused        {result['Imported']} / {result['Refused']}")
    print(f"  broadcast (HTTP, end to end) {import_s:6.2f} s   {rows / import_s:8.0f} rows/s")
    print(
        f"  server CPU for it         {import_cpu:6.2f} s"
        f"   (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"  server RSS before         {rss_before:6.0f} MB (peak so far {peak_before:.0f} MB)")
    print(
        f"  server peak RSS after     {peak_after:6.0f} MB"
        f" (+{peak_after - peak_before:.0f} MB; the body is {mb:.1f} MB)"
    )
    print(
        f"  download                  {download_s:6.2f} s   {size / 1e6:.1f} MB, peak RSS then {peak_download:.0f} MB"
    )
    return {
        "backend": backend,
        "rows": rows,
        "body_mb": round(mb, 1),
        "imported": result["Imported"],
        "refused": result["Refused"],
        "broadcast_seconds": round(import_s, 2),
        "rows_per_second": round(rows / import_s),
        "server_cpu_seconds": round(import_cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "server_peak_rss_mb_before": round(peak_before),
        "server_peak_rss_mb_after": round(peak_after),
        "download_seconds": round(download_s, 2),
        "download_mb": round(size / 1e6, 1),
        "server_peak_rss_mb_after_download": round(peak_download),
    }


def run(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="inventory_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        return measure(url, args.rows, args.bad, Path(tmp))


if __name__ == "__main__":
    run()
