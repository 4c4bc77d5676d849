"""A lean HTTP/1.1 load generator: N keep-alive connections, each a coroutine that sends one request,
reads one answer, and records its latency. Lighter than an HTTP client library, so on a small
machine the figures are the server's, not the client's."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        codes = ", ".join(f"{k}x{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.name:<44} {self.count:>7} in {self.seconds:6.2f}s  {self.rate:8.0f}/s  "
            f"p50 {self.pct(50):6.2f} ms  p99 {self.pct(99):7.2f} ms  [{codes}]"
        )

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "name": self.name,
            "count": self.count,
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.pct(50), 2),
            "p99_ms": round(self.pct(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
        }


Request = tuple[str, str, bytes]  # method, path with query, body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for h in lines[1:]:
        k, _, v = h.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            length = int(v.strip())
        elif k == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        return status, body
    return status, await reader.readexactly(length)


async def run(
    name: str,
    base_url: str,
    requests: Sequence[Request] | Callable[[int], Request],
    *,
    total: int | None = None,
    concurrency: int = 32,
    headers: dict[str, str] | None = None,
    check: Callable[[int, bytes], None] | None = None,
) -> Result:
    """Send every request over ``concurrency`` keep-alive connections; time each one."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    count = total if total is not None else len(requests)  # type: ignore[arg-type]
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    next_index = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def request_at(i: int) -> Request:
        return requests(i) if callable(requests) else requests[i]

    async def worker() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < count:
                i = next_index
                next_index += 1
                method, path, body = request_at(i)
                head = (
                    f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                t0 = time.perf_counter()
                writer.write(head + body)
                status, answer = await _read_response(reader)
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if check is not None:
                    check(status, answer)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return Result(name, count, time.perf_counter() - started, latencies, statuses)
