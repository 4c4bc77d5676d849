"""The client's keep-alive transport against a real loopback server speaking raw HTTP/1.1: connections
are reused, every way of sending a body is read, and a connection the server closed while idle is
replaced without losing the request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from pohub.client.keepalive import KeepAliveTransport
from tests.agent.raw_http import read_request

Answer = Callable[[bytes, bytes], Awaitable[tuple[bytes, bool]]]  # (head, body) -> (raw answer, close after)


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[httpx.AsyncClient, list[bytes]]]:
    """A server that reads each request (head and Content-Length body) and writes what ``answer`` says;
    yields a client on the transport and the requests the server got, one "#<n>" per connection accepted."""
    seen: list[bytes] = []
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        seen.append(f"#{connections}".encode())
        try:
            while (request := await read_request(reader)) is not None:
                head, body = request
                seen.append(head.split(b"\r\n", 1)[0] + b" " + body)
                raw, close = await answer(head, body)
                writer.write(raw)
                await writer.drain()
                if close:
                    return
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        transport = KeepAliveTransport(timeout=10)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            yield client, seen
    finally:
        server.close()
        await server.wait_closed()


def plain(body: bytes, *extra: bytes) -> bytes:
    headers = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


async def test_one_connection_serves_every_request_with_its_body() -> None:
    async def echo(_head: bytes, body: bytes) -> tuple[bytes, bool]:
        return plain(b'{"got":' + (body or b"null") + b"}"), False

    async with raw_server(echo) as (client, seen):
        for n in range(3):
            answer = await client.post("/api/v1/Things", params={"n": str(n)}, content=b"[%d]" % n)
            assert answer.status_code == 200 and answer.json() == {"got": [n]}
        assert (await client.get("/api/v1/Things/7")).json() == {"got": None}
    assert seen == [
        b"#1",
        b"POST /api/v1/Things?n=0 HTTP/1.1 [0]",
        b"POST /api/v1/Things?n=1 HTTP/1.1 [1]",
        b"POST /api/v1/Things?n=2 HTTP/1.1 [2]",
        b"GET /api/v1/Things/7 HTTP/1.1 ",
    ]


async def test_chunked_answers_and_connection_close_are_read() -> None:
    async def answer(head: bytes, _body: bytes) -> tuple[bytes, bool]:
        if b"/chunked" in head:
            chunks = b"4\r\n[1,2\r\n2;ext=1\r\n,3\r\n1\r\n]\r\n0\r\n\r\n"
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, False
        if b"/empty" in head:
            return b"HTTP/1.1 204 No Content\r\n\r\n", False
        return plain(b'"bye"', b"Connection: close"), True

    async with raw_server(answer) as (client, seen):
        assert (await client.get("/chunked")).json() == [1, 2, 3]
        assert (await client.get("/empty")).status_code == 204
        assert (await client.get("/close")).json() == "bye"
        assert (await client.get("/chunked")).json() == [1, 2, 3]  # on a new connection
    assert [s for s in seen if s.startswith(b"#")] == [b"#1", b"#2"]


async def test_a_connection_closed_while_idle_is_replaced_and_the_request_sent_once() -> None:
    closing = asyncio.Event()

    async def answer(_head: bytes, body: bytes) -> tuple[bytes, bool]:
        # The first answer does not say "close", but the server drops the connection after it, as a hub
        # does when its keep-alive timeout runs out.
        first = not closing.is_set()
        closing.set()
        return plain(body or b"{}"), first

    async with raw_server(answer) as (client, seen):
        assert (await client.post("/a", content=b"1")).json() == 1
        # Whether the close reached the client before the next request or only as it wrote it, the
        # request goes once, on a new connection.
        assert (await client.post("/b", content=b"2")).json() == 2
    assert seen.count(b"POST /b HTTP/1.1 2") == 1
    assert [s for s in seen if s.startswith(b"#")] == [b"#1", b"#2"]


async def test_a_server_that_answers_nothing_is_a_transport_error() -> None:
    async def hang_up(_head: bytes, _body: bytes) -> tuple[bytes, bool]:
        return b"", True

    async with raw_server(hang_up) as (client, _seen):
        with pytest.raises(httpx.TransportError):
            await client.get("/x")


async def test_https_is_not_this_transport_s() -> None:
    async with httpx.AsyncClient(transport=KeepAliveTransport(timeout=10)) as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("https://127.0.0.1:9/x")
