"""The outermost layer of every HTTP request: a request id (X-Request-ID, taken or made, and sent
back), the route template, timing, the request metrics and one access log line.

It wraps even the 500 handler, so a 500's answer carries the request id too and its access line
carries the trace id the answer shows. It is also where an error ends: Starlette answers an
unexpected error with the 500 handler and then raises it again, "so servers can log it"; uvicorn,
seeing an exception, closes the connection and a keep-alive client's next request on it fails. The
handler has logged it with a trace id, so nothing is raised further: once the answer was sent in
full the connection stays usable, and an answer cut short is logged at ERROR (uvicorn closes a
connection whose answer the app left unfinished).

``pick`` (one function call, not a layer of its own: each ASGI layer costs a coroutine a request and
a call per message sent) may answer a request with another app than the stack: the NUL refusal
(api/http.py) and the fast lane's shorter stack (api/lane.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pohub.ops import context, metrics

access_log = logging.getLogger("pohub.access")
# A caller's request id is kept only when it is short and plain (it goes into every log line).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
UNMATCHED = "<unmatched>"
# A route's full template, once a request has shown its prefix (a route object is mounted at one
# prefix: FastAPI copies the routes of a router included twice), kept on the route object itself:
# FastAPI's APIRoute is not hashable, so no mapping can hold it.
_TEMPLATE_ATTR = "_pohub_full_template"
# What a request adds to the metrics, by its labels: prometheus_client's labels() checks and joins
# them each call (and see metrics.request_recorder).
_RECORDERS: dict[tuple[str, str, int], Callable[[float], None]] = {}
_ENTER, _LEAVE = metrics.in_flight()


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters, prefix included ("/api/v1/Orders/{LogicbrokerKey}").

    Routes of included routers know only their own part of the path; the prefix is what the
    request's path has before the part that the route's parameters render to.
    """
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    known: str | None = getattr(route, _TEMPLATE_ATTR, None)
    if known is not None:
        return known
    template: str = getattr(route, "path_format", None) or getattr(route, "path", "") or UNMATCHED
    path: str = scope.get("path", "")
    rendered = template
    for name, value in (scope.get("path_params") or {}).items():
        rendered = re.sub(r"\{" + re.escape(name) + r"(:[^}]*)?\}", _literal(str(value)), rendered)
    if path.endswith(rendered):
        full = path[: len(path) - len(rendered)] + template
        with contextlib.suppress(AttributeError):  # no attributes of its own: worked out each time
            setattr(route, _TEMPLATE_ATTR, full)
        return full
    return template


def _literal(value: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: value


def _count(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    record = _RECORDERS.get(key)
    if record is None:
        record = _RECORDERS[key] = metrics.request_recorder(route, method, status)
    record(seconds)


class Answer:
    """The ``send`` the middleware hands down: each message on to the server, the start with the
    request id added; it notes the status (metrics, access line), whether the answer has started
    and whether it was sent in full. One object, so the fast lane's bottom can read ``started``
    off it instead of wrapping ``send`` once more (api/lane.py)."""

    __slots__ = ("complete", "header", "send", "started", "status")

    def __init__(self, send: Send, header: tuple[bytes, bytes]) -> None:
        self.send = send
        self.header = header
        self.status = 500
        self.started = False
        self.complete = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.started = True
            message["headers"] = [*message.get("headers", []), self.header]
            await self.send(message)
            return
        await self.send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True


class RequestMiddleware:
    def __init__(self, app: ASGIApp, pick: Callable[[Scope], ASGIApp | None] | None = None) -> None:
        self.app = app
        self.pick = pick

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = context.request_id.set(rid)
        state: dict[str, Any] = scope.setdefault("state", {})
        started = time.perf_counter()
        answer = Answer(send, (b"x-request-id", rid.encode()))
        _ENTER()
        failed = False
        try:
            app = self.pick(scope) if self.pick is not None else None
            await (self.app if app is None else app)(scope, receive, answer)
        except Exception:
            # The 500 handler has answered and logged the trace (see the module's docstring).
            failed = not answer.complete
        finally:
            _LEAVE()
            seconds = time.perf_counter() - started
            # route_template's and _count's first steps here (the route's template known, its
            # recorder made): one frame, not three, on every request after a route's first.
            found = scope.get("route")
            route = UNMATCHED if found is None else getattr(found, _TEMPLATE_ATTR, None) or route_template(scope)
            status = answer.status
            method = scope.get("method", "")
            record = _RECORDERS.get((route, method, status))
            if record is None:
                _count(route, method, status, seconds)
            else:
                record(seconds)
            # _log_access's level check first: the line's fields are made only when it is logged.
            if access_log.isEnabledFor(logging.ERROR if failed or status >= 500 else logging.INFO):
                _log_access(scope, state, route=route, status=status, seconds=seconds, failed=failed)
            context.request_id.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = str(value.decode("latin-1")).strip()
            if _SAFE_ID.match(given):
                return given
    # 32 lowercase hex digits, as secrets.token_hex(16) (and before it uuid4().hex) gave: the same
    # os.urandom bytes, without its three Python calls.
    return os.urandom(16).hex()


def _log_access(scope: Scope, state: dict[str, Any], *, route: str, status: int, seconds: float, failed: bool) -> None:
    level = logging.ERROR if failed or status >= 500 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    # The path only, never the query string: keys travel there (subscription-key=...).
    extra: dict[str, Any] = {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "company_id": state.get("company_id"),
        "client": str((scope.get("client") or ("", 0))[0]),
    }
    if state.get("trace_id"):
        extra["trace_id"] = state["trace_id"]
    access_log.log(
        level,
        "%s %s %d %.1f ms%s",
        extra["method"],
        extra["path"],
        status,
        extra["duration_ms"],
        f" company {extra['company_id']}" if extra["company_id"] is not None else "",
        extra=extra,
    )
