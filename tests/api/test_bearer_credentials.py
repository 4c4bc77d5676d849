"""The fast lane reads the Bearer key from the scope's headers itself (auth.bearer_credentials): it
must take exactly what FastAPI's ``HTTPBearer(auto_error=False)``, which the routes' dependency
runs, takes, and refuse (None) exactly what it refuses."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.security import HTTPBearer
from starlette.requests import Request

from pohub.api.auth import bearer_credentials

HEADERS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"authorization", b"Bearer pohub_abc")],
    [(b"authorization", b"bearer pohub_abc")],
    [(b"authorization", b"BEARER   pohub_abc  ")],
    [(b"authorization", b"Bearer")],
    [(b"authorization", b"Bearer ")],
    [(b"authorization", b"")],
    [(b"authorization", b" Bearer pohub_abc")],
    [(b"authorization", b"Basic dXNlcjpwYXNz")],
    [(b"authorization", b"Bearer pohub abc")],
    [(b"authorization", b"Bearer\tpohub_abc")],
    [(b"authorization", "Bearer pohub_\u00e9".encode("latin-1"))],
    [(b"authorization", b"Bearer first"), (b"authorization", b"Bearer second")],
    [(b"authorization", b"Basic x"), (b"authorization", b"Bearer second")],
    [(b"x-other", b"1"), (b"authorization", b"Bearer later")],
    [(b"x-authorization", b"Bearer no")],
]


def _request(headers: list[tuple[bytes, bytes]]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": headers})


@pytest.mark.parametrize("headers", HEADERS)
def test_the_lane_reads_the_bearer_key_as_fastapis_scheme_does(headers: list[tuple[bytes, bytes]]) -> None:
    theirs = asyncio.run(HTTPBearer(auto_error=False)(_request(headers)))
    assert bearer_credentials(_request(headers)) == (theirs.credentials if theirs is not None else None)
