"""A lean HTTP/1.1 keep-alive transport for the asyncio client on plain ``http://`` hubs (a local
hub, a benchmark): asyncio streams and a list of idle connections per host.

Profiled against a local hub, nine tenths of the agent's CPU went into httpcore's pool and anyio
(each request walks every pooled connection, polls its socket and asks it for its peer), not into
the agent. This keeps httpx's client (URLs, headers, auth, proxies from the environment, the
answers' models) and replaces only the pool under it. TLS hubs keep httpx's own transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import NamedTuple

import httpx

_CRLF = b"\r\n"
_NO_BODY = frozenset((204, 304))


class _Stale(Exception):
    """The connection was gone before a byte of the answer came back."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        """Still open: the event loop reads the socket in the background, so a hub that closed an idle
        connection shows as end of stream here, with no system call."""
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


def _head(request: httpx.Request, body: bytes) -> bytes:
    return render_head(request.method, request.url.raw_path, request.headers.raw, body)


def render_head(method: str, target: bytes, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> bytes:
    """A request's head as this transport writes it: the headers in their order, any Content-Length
    given the body's length (what httpx set for this body already), none of Transfer-Encoding."""
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    has_length = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            continue  # the body is sent whole, with its length
        if lowered == b"content-length":
            has_length = True
            lines.append(name + b": " + str(len(body)).encode("ascii"))
            continue
        lines.append(name + b": " + value)
    if not has_length and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: " + str(len(body)).encode("ascii"))
    return _CRLF.join(lines) + _CRLF + _CRLF


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(_CRLF)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(_CRLF)) != _CRLF:  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


async def _exchange(conn: _Connection, method: str, head: bytes, body: bytes) -> tuple[Answer, bool]:
    """Send one request (its head already written out) and read its answer; also whether the connection
    may serve another."""
    try:
        conn.writer.write(head + body)
        await conn.writer.drain()
        answer_head = await conn.reader.readuntil(_CRLF + _CRLF)
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
            raise
        raise _Stale from exc
    while True:
        status_line, *header_lines = answer_head[:-4].split(_CRLF)
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise httpx.RemoteProtocolError(f"not an HTTP/1.1 answer: {status_line[:80]!r}")
        status = int(parts[1])
        if status >= 200:
            break
        answer_head = await conn.reader.readuntil(_CRLF + _CRLF)  # a 1xx (100 Continue) comes before the answer
    headers: list[tuple[bytes, bytes]] = []
    for line in header_lines:
        name, _, value = line.partition(b":")
        headers.append((name.strip(), value.strip()))
    keep = parts[0] == b"HTTP/1.1" and (_header(headers, b"connection") or b"").lower() != b"close"
    if method == "HEAD" or status in _NO_BODY:
        content = b""
    elif (_header(headers, b"transfer-encoding") or b"").lower().endswith(b"chunked"):
        content = await _read_chunked(conn.reader)
    else:
        length = _header(headers, b"content-length")
        if length is not None:
            content = await conn.reader.readexactly(int(length))
        else:
            content = await conn.reader.read()  # to the end of the stream
            keep = False
    return Answer(status, headers, content), keep


class Answer(NamedTuple):
    """One answer as it came off the wire."""

    status_code: int
    headers: list[tuple[bytes, bytes]]
    content: bytes


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive over plain TCP; at most ``max_idle`` idle connections per host."""

    def __init__(self, *, timeout: float, max_idle: int = 16) -> None:
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    async def _connect(self, host: str, port: int) -> _Connection:
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} in {self.timeout} s") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from None
        return _Connection(reader, writer)

    def _reuse(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(
                f"{request.url.scheme}: this transport is for http:// only", request=request
            )
        body = await request.aread()
        try:
            answer = await self.exchange(
                request.url.host, request.url.port or 80, request.method, _head(request, body), body
            )
        except httpx.TransportError as exc:
            exc.request = request
            raise
        return httpx.Response(
            answer.status_code,
            headers=answer.headers,
            stream=httpx.ByteStream(answer.content),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def exchange(self, host: str, port: int, method: str, head: bytes, body: bytes) -> Answer:
        """One request whose head is written out already, on an idle connection to the host or a new one;
        httpx's TransportError subclasses (with no request attached) when it does not go through."""
        key = (host, port)
        conn = self._reuse(key)
        reused = conn is not None
        if conn is None:
            conn = await self._connect(host, port)
        try:
            try:
                async with asyncio.timeout(self.timeout):
                    answer, keep = await _exchange(conn, method, head, body)
            except _Stale:
                # The hub closed the idle connection as we wrote on it, before answering a byte: the
                # request goes once more, on a new connection (a new connection that fails is an error).
                conn.close()
                if not reused:
                    raise httpx.RemoteProtocolError("the hub closed the connection without answering") from None
                conn = await self._connect(host, port)
                async with asyncio.timeout(self.timeout):
                    answer, keep = await _exchange(conn, method, head, body)
        except TimeoutError:
            conn.close()
            raise httpx.ReadTimeout(f"no answer in {self.timeout} s") from None
        except httpx.TransportError:
            conn.close()
            raise
        except (_Stale, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            conn.close()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        idle = self._idle.setdefault(key, [])
        if keep and len(idle) < self.max_idle:
            idle.append(conn)
        else:
            conn.close()
        return answer

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
