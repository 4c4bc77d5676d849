"""A write's envelope reads the Content-Type, the Content-Length and the path from the scope itself
(api/http.header, url_path): they must give exactly what Starlette's ``request.headers.get`` and
``request.url.path`` give, which they stand in for."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from pohub.api.http import header, url_path

HEADERS: list[Any] = [
    [],
    [(b"content-type", b"application/json")],
    [(b"content-type", b"application/json; charset=utf-8"), (b"content-type", b"text/xml")],
    [(b"x-content-type", b"text/xml"), (b"content-type", b"")],
    [(b"Content-Type", b"text/xml")],  # not lower-case: ASGI servers never send it, Headers finds none
    [(b"content-type", "application/json; x=\u00e9".encode("latin-1"))],
    [(b"content-length", b"12"), (b"content-length", b"13")],
    [(b"host", b"x"), (b"content-length", b" 7 ")],
    ((b"content-type", b"application/json"),),  # a tuple: Headers makes a list of it
]


def _request(headers: Any, path: str = "/", host: bytes | None = None, server: Any = ("127.0.0.1", 80)) -> Request:
    raw = [*headers, (b"host", host)] if host is not None else headers
    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"q=1", "headers": raw}
    if server is not None:
        scope["server"] = server
    return Request(scope)


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("name", ["content-type", "content-length", "x-content-type"])
def test_a_header_is_read_as_starlettes_headers_read_it(headers: Any, name: str) -> None:
    ours = header(_request(headers), name.encode())
    assert ours == _request(headers).headers.get(name)


PATHS = [
    "/api/v1/Orders",
    "/api/v1/Acknowledgement/123",
    "/api/v3/Orders/42/Shipments",
    "/api/v1/Shipment/a%3Fb",  # a literal % (the scope's path is decoded)
    "/api/v1/Shipment/a?b",  # from %3F: Starlette's URL escapes it back
    "/api/v1/Shipment/a#b",
    "/api/v1/Shipment/a\\b",
    "/api/v1/Shipment/a b",
    "/api/v1/Shipment/a\tb",
    "/api/v1/Shipment/a\nb",
    "/api/v1/Shipment/\u00e9",
    "/api/v1/Shipment/[1]",
    "/api/v1/Shipment/ ",
    "//api/v1/Orders",
    "/",
    "",
    "/api/v1/Orders/",
    "/api/v1/Shipment/a;b=c@d:e!$&'()*+,~",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("host", "server"),
    [(None, ("127.0.0.1", 80)), (b"example.com:8080", None), (b"bad host", ("::1", 8000)), (None, None)],
)
def test_the_path_is_what_starlettes_url_gives(path: str, host: bytes | None, server: Any) -> None:
    assert url_path(_request([], path, host, server)) == _request([], path, host, server).url.path
