"""HTTP plumbing shared by every route: JSON responses with exact decimals, bounded body reading,
and one error shape for every refusal."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from pohub.core import jsonio
from pohub.core.errors import FieldError, PayloadTooLarge, PohubError
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


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 past the configured size (before reading it all)."""
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and is_ascii_int(declared) and int(declared) > limit:
        raise PayloadTooLarge(
            f"The body is {declared} bytes; the limit is {limit}",
            [FieldError("body", f"must be at most {limit} bytes")],
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"The body is over the {limit}-byte limit",
                [FieldError("body", f"must be at most {limit} bytes")],
            )
        chunks.append(chunk)
    return b"".join(chunks)


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
        body = {"Code": 422, "Message": "The request is not valid", "Errors": [e.as_wire() for e in errors]}
        return JSON(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        text = exc.detail if isinstance(exc.detail, str) else "Request refused"
        return JSON(
            {"Code": exc.status_code, "Message": text},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A message whose handler crashed was recorded by the pipeline, with this trace id.
        trace_id = getattr(exc, "trace_id", None) or uuid.uuid4().hex
        if not hasattr(exc, "trace_id"):
            log.exception("unexpected error, trace id %s, %s %s", trace_id, request.method, request.url.path)
        return JSON(
            {
                "Code": 500,
                "Message": "Unexpected error; quote the trace id when reporting it",
                "TraceId": trace_id,
            },
            status_code=500,
        )
