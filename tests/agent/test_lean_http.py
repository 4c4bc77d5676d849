"""The client's cheaper URLs and cookie reading (client/lean.py) change nothing on the wire: against a
real loopback server speaking raw HTTP/1.1, the pohub clients send the very bytes plain httpx sends
for the same calls, and a hub that sets a cookie still gets it back on the next request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from pohub.client import AsyncClient, Client
from pohub.client.base import ClientOptions, client_kwargs, request_headers, request_params
from pohub.client.calls import Call
from pohub.client.keepalive import KeepAliveTransport
from pohub.client.lean import RequestUrls
from pohub.client.throttle import Limits
from tests.agent.raw_http import read_request

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@asynccontextmanager
async def recording_server(first_answer: bytes = _OK) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that answers every request with ``{}`` (the first one with ``first_answer``) and keeps
    each request's raw head and body, in order."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                head, body = request
                seen.append(head + body)
                writer.write(first_answer if len(seen) == 1 else _OK)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()
        await server.wait_closed()


def _answer(_status: int, data: Any) -> Any:
    return data


CALLS = [
    Call("GET", "/Orders/A%2FB%20C", _answer),
    Call("GET", "/Orders", _answer, "search", {"Filters.status": "150", "Filters.page": "2", "q": "a b&c=d/é"}),
    Call("POST", "/Acknowledgements", _answer, body=b'{"PartnerPO":"P-1"}'),
    Call("POST", "/Acknowledgements", _answer, body=b'{"PartnerPO":"P-2"}'),
    Call("PUT", "/Orders/Status", _answer, "bulk", {"status": "200"}, b'{"Keys":["1","2"]}'),
    Call("GET", "/Orders?already=1", _answer, params={"more": "2"}),
]


def _options(url: str, auth: str) -> ClientOptions:
    return ClientOptions(base_url=url, api_key="k3y/+=", auth=auth, limits=Limits.off(), timeout=10)


@pytest.mark.parametrize("auth", ["query", "bearer"])
async def test_the_async_client_sends_what_plain_httpx_sends(auth: str) -> None:
    async with recording_server() as (url, seen):
        options = _options(url, auth)
        async with AsyncClient(options) as client:
            for call in CALLS:
                await client.send(call)
        ours = list(seen)
        seen.clear()
        async with httpx.AsyncClient(**client_kwargs(options), transport=KeepAliveTransport(timeout=10)) as plain:
            for call in CALLS:
                await plain.request(
                    call.method,
                    call.path,
                    params=request_params(options, call),
                    content=call.body,
                    headers=request_headers(call),
                )
        assert ours == seen
        assert len(ours) == len(CALLS)


@pytest.mark.parametrize("auth", ["query", "bearer"])
async def test_the_sync_client_sends_what_plain_httpx_sends(auth: str) -> None:
    async with recording_server() as (url, seen):
        options = _options(url, auth)

        def ours() -> None:
            with Client(options) as client:
                for call in CALLS:
                    client.send(call)

        def plain() -> None:
            with httpx.Client(**client_kwargs(options)) as http:
                for call in CALLS:
                    http.request(
                        call.method,
                        call.path,
                        params=request_params(options, call),
                        content=call.body,
                        headers=request_headers(call),
                    )

        await asyncio.to_thread(ours)
        sent_by_ours = list(seen)
        seen.clear()
        await asyncio.to_thread(plain)
        assert sent_by_ours == seen
        assert len(seen) == len(CALLS)


SET_COOKIE = (
    b"HTTP/1.1 200 OK\r\nSet-Cookie: lb=node-7; Path=/\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)


async def test_a_cookie_the_hub_sets_comes_back_on_the_next_request() -> None:
    async with recording_server(SET_COOKIE) as (url, seen), AsyncClient(_options(url, "bearer")) as client:
        await client.send(CALLS[0])
        await client.send(CALLS[2])
        assert client._http.cookies.get("lb") == "node-7"
    first, second = seen
    assert b"cookie:" not in first.lower()
    assert b"\r\nCookie: lb=node-7\r\n" in second


async def test_the_sync_client_keeps_cookies_too() -> None:
    async with recording_server(SET_COOKIE) as (url, seen):

        def run() -> None:
            with Client(_options(url, "bearer")) as client:
                client.send(CALLS[0])
                client.send(CALLS[2])

        await asyncio.to_thread(run)
    assert b"\r\nCookie: lb=node-7\r\n" in seen[1]


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000/api/v1", "https://stage.commerceapi.io/api/v3/", "http://h:1/a%20b/api/v1"]
)
def test_urls_are_the_ones_httpx_builds(base: str) -> None:
    http = httpx.Client(base_url=base)
    urls = RequestUrls(http.base_url)
    for path, params in [
        ("/Orders/123", {}),
        ("/Orders/A%2FB", {"subscription-key": "k+/="}),
        ("Orders", {"Filters.from": "2026-12-01T00:00:00+00:00", "x": ""}),
        ("/Orders?a=1", {}),
        ("/Orders?a=1", {"b": "2"}),
        ("/Ümlaut path/", {"é": "ü"}),
    ]:
        built = http.build_request("GET", path, params=params).url
        assert urls.url(path, params) == built
        again = urls.url(path, params)  # from the cache
        assert (again.raw_path, again.host, again.port) == (built.raw_path, built.host, built.port)
    http.close()


def test_the_cache_stays_bounded() -> None:
    urls = RequestUrls(httpx.URL("http://127.0.0.1/api/v1/"), size=4)
    for n in range(10):
        urls.url(f"/Orders/{n}", {})
    assert len(urls._urls) <= 4
    assert str(urls.url("/Orders/9", {})) == "http://127.0.0.1/api/v1/Orders/9"


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000/api/v1", "https://stage.commerceapi.io/api/v3/", "http://h:1/a%20b/api/v1"]
)
def test_targets_are_the_ones_httpx_builds(base: str) -> None:
    http = httpx.Client(base_url=base)
    urls = RequestUrls(http.base_url)
    paths = [
        "/Orders/123",
        "/Orders/A%2FB%20C",
        "/Orders/a%2fb",
        "/Orders/..",
        "/Orders/./x",
        "/Orders/%7E~",
        "Orders",
        "/Orders?a=1",
        "//elsewhere/x",
        "http://elsewhere:81/x",
        "/Ümlaut path/",
        "/Orders/a:b@c",
        "/Orders/%zz",
        "",
        "/",
    ]
    for path in paths:
        for params in ({}, {"subscription-key": "k3y/+="}, {"Filters.status": "150", "é": "a b&c"}, {"": ""}):
            built = http.build_request("GET", path, params=params).url
            on_base = (built.scheme, built.host, built.port) == (
                http.base_url.scheme,
                http.base_url.host,
                http.base_url.port,
            )
            expected = built.raw_path if on_base else None  # another host: httpx's client sends it
            assert urls.target(path, params) == expected, (path, params)
            assert urls.target(path, params) == expected, (path, params)  # from the caches
    http.close()


async def test_a_2xx_answer_goes_around_httpx_and_an_error_through_it() -> None:
    """On its own keep-alive transport the async client sends without httpx's client layer, and a
    non-2xx answer is read through httpx's Response as before (its status, message and Retry-After)."""
    busy = (
        b"HTTP/1.1 503 Busy\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
        b'{"Message":"no"}\n'
    )
    async with recording_server(busy) as (url, seen):
        options = ClientOptions(base_url=url, api_key="k", auth="bearer", limits=Limits.off(), timeout=10)
        async with AsyncClient(options) as client:
            through_httpx: list[str] = []
            plain_send = client._http.send

            async def counting_send(request: httpx.Request, **kwargs: Any) -> httpx.Response:
                through_httpx.append(request.method)
                return await plain_send(request, **kwargs)

            client._http.send = counting_send  # type: ignore[method-assign]
            assert await client.send(CALLS[2]) == {}  # the 503 is retried, then the 200 is read
            assert await client.send(CALLS[0]) == {}
            assert through_httpx == []
            assert client.stats.retries == 1
    assert len(seen) == 3


async def test_the_direct_path_stands_aside_for_httpx_logging(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs each request at INFO: with that log on, the request goes through httpx and is logged."""
    async with recording_server() as (url, _seen), AsyncClient(_options(url, "bearer")) as client:
        with caplog.at_level("INFO", logger="httpx"):
            await client.send(CALLS[0])
    assert any("HTTP Request: GET" in r.getMessage() for r in caplog.records)
