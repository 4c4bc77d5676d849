"""HTTP plumbing shared by every route: JSON responses with exact decimals, bounded body reading
(JSON only), one error shape for every refusal."""

from __future__ import annotations

import contextlib
import logging
import mmap
import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from pohub.core import jsonio
from pohub.core.errors import FieldError, PayloadTooLarge, PohubError, UnsupportedMediaType
from pohub.core.ids import is_ascii_int

log = logging.getLogger("pohub")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content)


def message(code: int, text: str, body: Any = None) -> JSON:
    """The platform's {Code, Message, Body} envelope."""
    return JSON({"Code": str(code), "Message": text, "Body": body}, status_code=code)


def page(records: list[Any], *, total: int, page_number: int, page_size: int, **extra: Any) -> JSON:
    """The platform's search envelope."""
    pages = (total + page_size - 1) // page_size if page_size else 0
    return JSON({"Records": records, "TotalPages": pages, "CurrentPage": page_number, "TotalRecords": total, **extra})


CONTENT_TYPE_MAX = 200
# A path that a URL built from the scope gives back unchanged as its .path: nothing Starlette's URL
# escapes (? # \\) or urlsplit strips or splits at, and no leading // (an authority without a host).
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def header(request: Request, name: bytes) -> str | None:
    """``request.headers.get(name)`` without building Starlette's Headers: the first header of that
    (lower-case) name, latin-1, as ``Headers.__getitem__`` finds it in the scope's list."""
    raw = request.scope["headers"]
    if type(raw) is not list:  # Headers makes a list of it first (and puts that in the scope)
        return request.headers.get(name.decode("latin-1"))
    for key, value in raw:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def url_path(request: Request) -> str:
    """``request.url.path`` without building the URL, for a plain path (``_PLAIN_PATH``: what every
    API path is); any other path through the URL itself."""
    path: str = request.scope["path"]
    if _PLAIN_PATH.fullmatch(path) is not None:
        return path
    return request.url.path


def require_json(request: Request) -> None:
    """Bodies are JSON: application/json or any application/...+json type, UTF-8 (RFC 8259), else 415.
    A body sent without a Content-Type is read as JSON (clients and the seeds' examples often omit it)."""
    content_type = header(request, b"content-type")
    if content_type is None:
        return
    if len(content_type) > CONTENT_TYPE_MAX:  # kept with the message (exchanges.content_type)
        raise UnsupportedMediaType(
            f"The Content-Type header is {len(content_type)} characters long",
            [FieldError("Content-Type", f"must be at most {CONTENT_TYPE_MAX} characters")],
        )
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(
            f"Content-Type {media_type or content_type!r} is not JSON: send the body as application/json",
            [FieldError("Content-Type", "must be application/json (or an application/...+json type)")],
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(
                f"charset {charset!r} is not UTF-8: JSON bodies are UTF-8",
                [FieldError("Content-Type", "charset must be utf-8 when given")],
            )


def _too_large(limit: int, declared: str | None = None) -> PayloadTooLarge:
    said = (
        f"The body is {declared} bytes; the limit is {limit}"
        if declared
        else f"The body is over the {limit}-byte limit"
    )
    return PayloadTooLarge(said, [FieldError("body", f"must be at most {limit} bytes")])


def _refuse_declared(request: Request, limit: int) -> None:
    """Refuse at once, before reading a byte, a body whose Content-Length is over the limit."""
    declared = header(request, b"content-length")
    if declared and is_ascii_int(declared) and int(declared) > limit:
        raise _too_large(limit, declared)


async def read_body(request: Request, *, limit: int | None = None, json: bool = True) -> bytes:
    """The JSON request body (415 if it says it is something else; ``json=False`` for the routes
    that take other bodies: EDI interchanges, AS2 messages), refused with 413 past ``limit``
    (POHUB_MAX_BODY_BYTES unless given), before reading it all."""
    if json:
        require_json(request)
    limit = limit if limit is not None else int(request.app.state.settings.max_body_bytes)
    _refuse_declared(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


@asynccontextmanager
async def spooled_body(request: Request, *, limit: int) -> AsyncIterator[Any]:
    """A large JSON body (bulk uploads), written to an unnamed temporary file as it arrives and
    mapped read-only: memory stays flat whatever its size. 413 past ``limit``, before reading when
    Content-Length says so. The file is gone when the block ends, whether the upload was taken or refused."""
    require_json(request)
    _refuse_declared(request, limit)
    with tempfile.TemporaryFile(prefix="pohub-upload-") as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            # A write to the page cache: microseconds per chunk, not worth a thread hop.
            spool.write(chunk)
        if size == 0:
            yield b""
            return
        spool.flush()
        mapped = mmap.mmap(spool.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mapped
        finally:
            # A match object may still point into the map: then it is unmapped when collected.
            with contextlib.suppress(BufferError):
                mapped.close()


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PohubError)
    async def _pohub(_: Request, exc: PohubError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSON(exc.as_wire(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = [FieldError(_loc(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        body = {"Code": "422", "Message": "The request is not valid", "Errors": [e.as_wire() for e in errors]}
        return JSON(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        text = exc.detail if isinstance(exc.detail, str) else "Request refused"
        return JSON(
            {"Code": str(exc.status_code), "Message": text},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A message whose handler crashed was recorded by the pipeline, with this trace id.
        trace_id = getattr(exc, "trace_id", None) or uuid.uuid4().hex
        request.state.trace_id = trace_id  # for the access log line
        if not hasattr(exc, "trace_id"):
            log.exception(
                "unexpected error, trace id %s, %s %s",
                trace_id,
                request.method,
                request.url.path,
                extra={"trace_id": trace_id},
            )
        return JSON(
            {
                "Code": "500",
                "Message": "Unexpected error; quote the trace id when reporting it",
                "TraceId": trace_id,
            },
            status_code=500,
        )


def refuse_nul(scope: Scope) -> Response | None:
    """The NUL character cannot be stored or searched for in PostgreSQL text: a path or query
    parameter holding one is refused with 422 naming it, on every route, before any route runs
    (the answer ``ops/requests.RequestMiddleware`` sends instead of the app's, ahead of the 500 handler)."""
    field = _nul_in_url(scope)
    if field is None:
        return None
    error = FieldError(field, jsonio.NUL_RULE)
    body = {"Code": "422", "Message": f"{field}: {error.error}", "Errors": [error.as_wire()]}
    return JSON(body, status_code=422)


def _nul_in_url(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return name.replace("\x00", "") or "query"
    return None
