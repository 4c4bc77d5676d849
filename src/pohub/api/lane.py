"""The fast lane: the hot API routes (document posts, PO create, read one, the searches) served
ahead of FastAPI's router, answering exactly as the router would.

FastAPI finds a route by asking every included router in turn (two per router: /api/v1 and
/api/v3), each trying its routes in order, and then solves the route's dependencies; for an
acknowledgement that was most of the framework's share of a request. The lane looks the request up
in a table keyed by method and path template, built from the document kinds' specs
(``hot_routes``), and calls the same endpoint function with the caller's company resolved by the
same rule (``auth.caller_company``).

How it stays exact:

- The request middleware (ops/requests.py, outermost) asks the lane (``FastLane.front``) before
  FastAPI's stack; for a hot route's request the lane answers with a copy of that stack's own layers
  (``shorter``: the 500 handler, rate limits, the exception handlers, each the same object's
  settings) without the ones that do nothing for such a request (``PASS_THROUGH``) and the router,
  ending in the route's endpoint; the lowest of them (ServerErrorMiddleware, ExceptionMiddleware:
  ``FOLDED``), which until an error only note whether the answer has started, are folded into the
  endpoint's own frame, and an error is handed to copies of them (``replay``). So the request id,
  access log and metrics, NUL refusal, rate limits, the 500 handler and exception handlers all run
  as before, in the same order, and an error raised by the endpoint or the key check is answered
  by the same handlers.
- Each entry is FastAPI's own route, found in the router's flattened order; the request path is
  matched with that route's compiled pattern and convertors, and the routes FastAPI would try first
  that could match the same path (``Entry.blockers``) are tried too: if one would take the request,
  the lane hands it over. The scope gets the same ``route``, ``endpoint`` and ``path_params``.
- An entry is served only if its endpoint takes nothing FastAPI would parse or validate: the
  Request, path parameters (plain strings), and ``current_company`` (``_servable``). Otherwise, and
  whenever the lane cannot be sure (dependency overrides set, FastAPI's telemetry on, a method or
  path it does not hold), the request goes to FastAPI.
"""

from __future__ import annotations

import copy
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette._utils import get_route_path
from starlette.convertors import Convertor, StringConvertor
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY as BODY_LIMIT
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pohub.api.auth import cached_caller, caller_company, current_company
from pohub.documents import kinds
from pohub.ops.requests import Answer

log = logging.getLogger("pohub")

KEY = "{LogicbrokerKey}"


def hot_routes(prefixes: Iterable[str]) -> list[tuple[str, str]]:
    """(method, path template) of the routes the lane serves, under each API prefix."""
    table: list[tuple[str, str]] = []
    for prefix in prefixes:
        orders = f"{prefix}/{kinds.ORDER.plural}"
        table += [("POST", orders), ("GET", orders), ("GET", f"{orders}/{KEY}")]
        for spec in kinds.SUPPLIER_KINDS:
            table += [
                ("POST", f"{prefix}/{spec.plural}"),
                ("POST", f"{prefix}/{spec.singular}/{KEY}"),
                ("POST", f"{orders}/{KEY}/{spec.plural}"),
                ("GET", f"{prefix}/{spec.plural}"),
                ("GET", f"{prefix}/{spec.plural}/{KEY}"),
            ]
    return table


@dataclass(frozen=True)
class Blocker:
    """A route FastAPI tries before an entry that could take some of the entry's requests."""

    regex: re.Pattern[str] | None  # None: cannot tell (a Host route), so always hand over
    methods: frozenset[str] | None  # None: any method (a mount)

    def takes(self, method: str, path: str) -> bool:
        if self.regex is None:
            return True
        return (self.methods is None or method in self.methods) and self.regex.match(path) is not None


@dataclass(frozen=True)
class Entry:
    method: str
    template: str
    route: APIRoute  # what FastAPI puts in scope["route"] (the access log's route template reads it)
    endpoint: Callable[..., Awaitable[Response]]  # the route's own function
    regex: re.Pattern[str]
    convertors: dict[str, Convertor[Any]]
    request_name: str
    company_name: str
    blockers: tuple[Blocker, ...]
    # For a request of the entry's own method (the table's only kind): each blocker's ``takes`` is
    # its regex's match (``build`` kept only blockers of this method), None if one takes every path.
    _takers: tuple[Callable[[str], object], ...] | None = field(init=False, repr=False, compare=False)
    # (name, segment index) of each parameter when every one is a whole segment under Starlette's
    # own regex for the template (``[^/]+``): then ``found`` needs no regex for the route itself.
    _plain: tuple[tuple[str, int], ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        takers = [b.regex.match for b in self.blockers if b.methods is None or self.method in b.methods if b.regex]
        every = any(b.regex is None for b in self.blockers)
        object.__setattr__(self, "_takers", None if every else tuple(takers))
        object.__setattr__(self, "_plain", _plain_params(self.template, self.regex))

    def match(self, method: str, path: str) -> dict[str, Any] | None:
        """The path parameters if FastAPI would send this request to this entry's route, else None."""
        found = self.regex.match(path)
        if found is None or self._blocked(method, path):
            return None
        return {name: self.convertors[name].convert(value) for name, value in found.groupdict().items()}

    def found(self, method: str, path: str, segments: list[str]) -> dict[str, Any] | None:
        """``match``, for a path whose literal segments are the template's (``Table.find``'s lookup
        saw to that; ``segments`` is ``path.split("/")``). Where the parameters are plain
        (``_plain``), the route's regex matches exactly when each parameter's segment is not empty,
        and its groups are those segments (a string convertor gives them back as they are)."""
        plain = self._plain
        if plain is None:
            return self.match(method, path)
        params: dict[str, Any] = {}
        for name, at in plain:
            value = segments[at]
            if not value:
                return None
            params[name] = value
        return None if self._blocked(method, path) else params

    def _blocked(self, method: str, path: str) -> bool:
        """Whether a route FastAPI tries first would take the request."""
        takers = self._takers
        if method == self.method and takers is not None:
            # A loop, not any() over a generator: this runs on every request.
            for takes in takers:  # noqa: SIM110
                if takes(path) is not None:
                    return True
            return False
        for blocker in self.blockers:  # noqa: SIM110
            if blocker.takes(method, path):
                return True
        return False


def _plain_params(template: str, regex: re.Pattern[str]) -> tuple[tuple[str, int], ...] | None:
    """Where the template's parameters are, if each is a whole segment ``{name}`` and the route's
    regex is the one Starlette compiles for the template (literals escaped, ``[^/]+`` for each)."""
    plain: list[tuple[str, int]] = []
    for at, segment in enumerate(template.split("/")):
        if "{" in segment or "}" in segment:
            name = segment[1:-1]
            if not (segment.startswith("{") and segment.endswith("}")) or not name.isidentifier():
                return None
            plain.append((name, at))
    if compile_path(template)[0].pattern != regex.pattern:
        return None
    return tuple(plain)


def _segments(template: str) -> list[str | None]:
    """The template's segments, None for a parameter (or a segment with one in it)."""
    return [None if "{" in s else s for s in template.split("/")]


def _may_overlap(entry: str, other: str) -> bool:
    """Whether some path could match both templates (False only when certain)."""
    a, b = entry.split("/"), other.split("/")
    for x, y in zip(a, b, strict=False):
        if ":path}" in y:
            return True
        if "{" in x or "{" in y:
            continue
        if x != y:
            return False
    return len(a) == len(b)


def _servable(context: Any, template: str) -> tuple[str, str] | None:
    """(request parameter, company parameter) if the route's endpoint takes only what the lane
    passes it exactly as FastAPI would: the Request, plain string path parameters and the company."""
    dep = getattr(context, "dependant", None)
    if not inspect.iscoroutinefunction(context.endpoint):  # FastAPI would run it on a thread
        return None
    if dep is None or getattr(context, "body_field", None) is not None:
        return None
    if getattr(context, "response_field", None) is not None or getattr(context, "is_json_stream", False):
        return None
    if dep.query_params or dep.header_params or dep.cookie_params or dep.body_params:
        return None
    names = (dep.websocket_param_name, dep.http_connection_param_name, dep.response_param_name)
    if any(names) or dep.background_tasks_param_name or dep.security_scopes_param_name:
        return None
    params = set(re.findall(r"{([^}:]+)", template))
    if {p.name for p in dep.path_params} != params or not dep.request_param_name:
        return None
    if not all(isinstance(c, StringConvertor) for c in context.param_convertors.values()):
        return None
    if len(dep.dependencies) != 1 or dep.dependencies[0].call is not current_company or not dep.dependencies[0].name:
        return None
    return dep.request_param_name, dep.dependencies[0].name


def _blocker(context: Any) -> Blocker | None:
    original = context.original_route
    if isinstance(original, WebSocketRoute):  # APIWebSocketRoute too: never takes an HTTP request
        return None
    regex = getattr(context, "path_regex", None)
    methods = getattr(context, "methods", None) if isinstance(original, Route) else None
    return Blocker(regex, frozenset(methods) if methods else None)


def _position(contexts: list[Any], method: str, template: str) -> int | None:
    """Where FastAPI's route for this method and template is in the order its router tries them."""
    for index, context in enumerate(contexts):
        if (
            isinstance(context.original_route, APIRoute)
            and context.path == template
            and method in (context.methods or ())
        ):
            return index
    return None


def build(app: FastAPI, hot: list[tuple[str, str]]) -> list[Entry]:
    """The entries for the hot routes, from FastAPI's routes in the order its router tries them.
    Building walks every included router's routes, which also builds FastAPI's per-inclusion route
    contexts (otherwise made by the first request to each router)."""
    contexts = list(iter_route_contexts(app.router.routes))
    entries: list[Entry] = []
    for method, template in hot:
        index = _position(contexts, method, template)
        if index is None:
            log.warning("fast lane: no route %s %s; FastAPI serves it", method, template)
            continue
        context = contexts[index]
        route = context.original_route
        assert isinstance(route, APIRoute)  # as _position found it
        names = _servable(context, template)
        if names is None:
            log.warning("fast lane: %s %s takes more than the lane passes; FastAPI serves it", method, template)
            continue
        blockers: list[Blocker] = []
        for earlier in contexts[:index]:
            path = getattr(earlier, "path", None)
            if isinstance(earlier.original_route, Route) and isinstance(path, str) and not _may_overlap(template, path):
                continue
            blocker = _blocker(earlier)
            if blocker is not None and (blocker.methods is None or method in blocker.methods):
                blockers.append(blocker)
        entries.append(
            Entry(
                method=method,
                template=template,
                route=route,
                endpoint=route.endpoint,
                regex=context.path_regex,
                convertors=dict(context.param_convertors),
                request_name=names[0],
                company_name=names[1],
                blockers=tuple(blockers),
            )
        )
    return entries


class Table:
    """Entries by method and path shape: the path with its parameter segments blanked out."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_key: dict[tuple[str, tuple[str | None, ...]], Entry] = {}
        # Where the parameters are, for each method and segment count (few shapes: one lookup or two).
        self._masks: dict[tuple[str, int], list[tuple[int, ...]]] = {}
        for entry in entries:
            shape = _segments(entry.template)
            key = (entry.method, tuple(shape))
            self._by_key.setdefault(key, entry)
            mask = tuple(i for i, s in enumerate(shape) if s is None)
            masks = self._masks.setdefault((entry.method, len(shape)), [])
            if mask not in masks:
                masks.append(mask)

    def find(self, method: str, path: str) -> tuple[Entry, dict[str, Any]] | None:
        segments = path.split("/")
        for mask in self._masks.get((method, len(segments)), ()):
            shape: list[str | None] = list(segments)
            for i in mask:
                shape[i] = None
            entry = self._by_key.get((method, tuple(shape)))
            if entry is None:
                continue
            plain, takers = entry._plain, entry._takers
            if plain is None or takers is None:
                params = entry.found(method, path, segments)
                return None if params is None else (entry, params)
            # Entry.found and its _blocked for a plain entry of this method (the key holds it),
            # in this one frame: every request of the lane's comes here.
            params = {}
            for name, at in plain:
                value = segments[at]
                if not value:
                    return None
                params[name] = value
            for takes in takers:
                if takes(path) is not None:
                    return None
            return entry, params
        return None


# Where the lane leaves the entry and path parameters it found, for the bottom of its stack.
HIT = "pohub.fast_lane"
# Layers of FastAPI's stack that do nothing for a request the lane serves (``FastLane.pick`` checks
# the conditions): the exception telemetry records only for a request FastAPI's telemetry observes;
# the app body limit passes a request straight on unless a parent app put its limit in the scope;
# the exit stack is there to close an endpoint's uploaded files, and the lane's endpoints take none.
PASS_THROUGH: tuple[type, ...] = (ExceptionTelemetryMiddleware, AppBodyLimitMiddleware, AsyncExitStackMiddleware)
# Layers that, until something raises, only note whether the answer has started (and, for
# ExceptionMiddleware, put its handlers in the scope): when they are the last ones above the
# endpoint, the lane's bottom does that itself in one frame and one ``send`` wrapper, and hands an
# error to copies of the same layers (``replay``), which then do exactly what they would have done.
FOLDED: tuple[type, ...] = (ServerErrorMiddleware, ExceptionMiddleware)
# The answer had started before the error: what ``replay`` sends its layers so they know it (their
# own flag), dropped before it reaches the server.
_STARTED: Message = {"type": "http.response.start", "status": 500, "headers": []}


@dataclass(frozen=True)
class Shorter:
    app: ASGIApp  # the top of the shorter stack
    layers: list[type]  # the classes of the layers it runs, top first (folded ones included)
    folded: list[Any]  # the layers the bottom stands in for, top first (the stack's own objects)


def shorter(stack: ASGIApp, router: ASGIApp, bottom: ASGIApp) -> Shorter | None:
    """A copy of the stack's layers from its top down to the router, without ``PASS_THROUGH``, ending in
    ``bottom``, which stands in for the last ones when they are ``FOLDED``; None if a layer does not
    say what it wraps."""
    kept: list[Any] = []
    node: Any = stack
    while node is not router:
        inner = getattr(node, "app", None)
        if inner is None:
            return None
        if not isinstance(node, PASS_THROUGH):
            kept.append(node)
        node = inner
    classes = [type(layer) for layer in kept]
    folded: list[Any] = []
    while kept and type(kept[-1]) in FOLDED:  # the exact classes: a subclass may do more
        folded.insert(0, kept.pop())
    app = bottom
    for layer in reversed(kept):
        # The same object's settings (handlers, limiter, debug), only wrapping another app.
        layer = copy.copy(layer)
        layer.app = app
        app = layer
    return Shorter(app, classes, folded)


async def replay(folded: list[Any], exc: Exception, started: bool, scope: Scope, receive: Receive, send: Send) -> None:
    """What the folded layers do with ``exc`` raised below them (an answer started or not): copies
    of them, over an app that raises it. They answer with their handlers, or raise as they would."""

    async def raising(scope: Scope, receive: Receive, send: Send) -> None:
        if started:
            await send(_STARTED)
        raise exc

    async def to_server(message: Message) -> None:
        if message is not _STARTED:
            await send(message)

    app: ASGIApp = raising
    for layer in reversed(folded):
        layer = copy.copy(layer)
        layer.app = app
        app = layer
    await app(scope, receive, to_server)


class FastLane:
    """The hot routes' requests down a shorter copy of FastAPI's stack (``shorter``) to their
    endpoints; everything else down the whole stack to FastAPI's router."""

    def __init__(self, app: FastAPI, hot: list[tuple[str, str]]) -> None:
        self.app = app
        self.hot = hot
        self.table: Table | None = None
        self.stack: ASGIApp | None = None  # the shorter stack (``front``)
        self.layers: list[type] = []  # its layers' classes, top first
        self.folded: list[Any] = []  # the layers its bottom stands in for (``FOLDED``)
        self.handlers: tuple[Any, Any] | None = None
        self.served = 0  # requests the lane answered (tests check that the hot ones did not go round it)

    def warm(self) -> Table:
        """Build the table (and with it FastAPI's route contexts); done at start-up, or by the first request."""
        if self.table is None:
            self.table = Table(build(self.app, self.hot))
        return self.table

    def front(self, stack: ASGIApp, refuse: Callable[[Scope], ASGIApp | None]) -> Callable[[Scope], ASGIApp | None]:
        """The request middleware's ``pick`` for FastAPI's built ``stack``: what ``refuse`` answers
        with, else the lane's stack for a hot route's request, else None (the whole stack)."""
        found = shorter(stack, self.app.router, self._endpoint)
        if found is None:
            log.warning("fast lane: a middleware layer does not say what it wraps; FastAPI serves every request")
            return refuse
        self.stack, self.layers, self.folded = found.app, found.layers, found.folded
        # What the folded ExceptionMiddleware (the lowest one) puts in the scope for its handlers.
        handlers = [
            (m._exception_handlers, m._status_handlers) for m in found.folded if isinstance(m, ExceptionMiddleware)
        ]
        self.handlers = handlers[-1] if handlers else None
        app = self.app

        def pick(scope: Scope) -> ASGIApp | None:
            refused = refuse(scope)
            if refused is not None:
                return refused
            if app.dependency_overrides or scope.get("fastapi.telemetry") is not None or BODY_LIMIT in scope:
                return None
            table = self.table or self.warm()
            # get_route_path's answer, its first case without its call: no root path, the path itself.
            path = get_route_path(scope) if scope.get("root_path") else scope["path"]
            hit = table.find(scope["method"], path)
            if hit is None:
                return None
            scope[HIT] = hit
            return self.stack

        return pick

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry, params = scope.pop(HIT)
        self.served += 1
        # The folded layers' one flag (``FOLDED``): whether the answer started below them. The
        # request middleware's own ``send`` keeps it when it reaches here unwrapped and not yet
        # started (nothing above could have sent a start through it then); otherwise a wrapper.
        answer: Answer | _Started = send if type(send) is Answer and not send.started else _Started(send)
        if self.handlers is not None:
            scope["starlette.exception_handlers"] = self.handlers
        try:
            # What the router's match puts in the scope (FastAPI's own scope keys serve only its handler).
            if "router" not in scope:
                scope["router"] = self.app.router
            path_params = dict(scope.get("path_params", {}))
            path_params.update(params)
            scope["endpoint"] = entry.endpoint
            scope["path_params"] = path_params
            scope["route"] = entry.route
            request = Request(scope, receive, answer)
            kwargs: dict[str, Any] = dict(params)  # path_params[name] for each name: params' own values
            kwargs[entry.request_name] = request
            company = cached_caller(request)
            kwargs[entry.company_name] = company if company is not None else await caller_company(request)
            response: Response = await entry.endpoint(**kwargs)
            await send_response(response, scope, receive, answer)
        except Exception as exc:
            # The same handlers FastAPI's route would reach (ExceptionMiddleware, the 500 handler).
            await replay(self.folded, exc, answer.started, scope, receive, send)


async def send_response(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    """``await response(scope, receive, send)``; for a plain Response to an HTTP request (no
    background task), its ``__call__``'s two messages sent here, one coroutine fewer
    (``tests/api/test_lane_lookup.py`` compares the messages with Starlette's own)."""
    if type(response) is Response and response.background is None and scope["type"] == "http":
        await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})
        return
    await response(scope, receive, send)


class _Started:
    """``send`` noting whether the answer has started (where the middleware's ``Answer`` cannot)."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def warm(app: FastAPI) -> None:
    """At start-up: FastAPI's route contexts for every included router, and the lane's table."""
    lane: FastLane | None = getattr(app.state, "fast_lane", None)
    if lane is not None:
        lane.warm()
    else:
        for _ in iter_route_contexts(app.router.routes):
            pass


def install(app: FastAPI, prefixes: Iterable[str]) -> FastLane:
    """The app's lane (``front`` puts it in the request middleware once FastAPI's stack is built)."""
    lane = FastLane(app, hot_routes(prefixes))
    app.state.fast_lane = lane
    return lane
