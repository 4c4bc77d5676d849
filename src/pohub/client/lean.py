"""Two things httpx's client does for every request that cost the agent more CPU than the request
itself, done once or skipped when there is nothing to do. What goes on the wire is unchanged.

Profiled against a local hub (bench/agent_bench.py --profile), a third of the agent's CPU went into
httpx's client layer: parsing the same URL three times per request (the path, the path joined to the
base URL, the query merged in), and reading every answer for cookies through ``http.cookiejar`` (a
``urllib`` request and an ``email`` message per answer) though the hub sets none.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http.cookiejar import CookieJar

import httpx

from pohub.client.keepalive import Answer, KeepAliveTransport, render_head

_SET_COOKIE = ("set-cookie", "set-cookie2")  # the only headers CookieJar.extract_cookies reads


class SetCookieOnlyCookies(httpx.Cookies):
    """httpx's cookie jar, which reads an answer for cookies only when it sets any: the jar's own
    ``extract_cookies`` makes nothing of an answer without Set-Cookie or Set-Cookie2."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if any(name in headers for name in _SET_COOKIE):
            super().extract_cookies(response)


def lean_cookies(http: httpx.Client | httpx.AsyncClient) -> None:
    """Give a client the jar above, sharing its cookies. httpx's public setter would copy them into a
    plain ``httpx.Cookies``, so this sets the attribute the setter sets; a client without it (another
    httpx) keeps its own jar."""
    jar = getattr(http, "_cookies", None)
    if isinstance(jar, httpx.Cookies) and isinstance(jar.jar, CookieJar):
        http._cookies = SetCookieOnlyCookies(jar.jar)


class RequestUrls:
    """The absolute URL httpx would build for a call's path and query on a client with ``base_url``,
    kept for the paths that come back (every POST of a kind goes to one path). A URL given whole to
    httpx is not parsed again. Bounded: keys in paths (``/Orders/{key}``) do not pile up."""

    def __init__(self, base_url: httpx.URL, *, size: int = 256) -> None:
        self.base_url = base_url
        self.size = size
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], httpx.URL] = {}
        self._queries: dict[tuple[tuple[str, str], ...], bytes] = {}
        self._base_path = base_url.raw_path

    def url(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        key = (path, tuple(params.items()))
        found = self._urls.get(key)
        if found is None:
            found = self._build(path, params)
            if len(self._urls) >= self.size:
                self._urls.clear()
            self._urls[key] = found
        return found

    def target(self, path: str, params: Mapping[str, str]) -> bytes | None:
        """``url(path, params).raw_path`` (the request line's target), or None when the URL is not on the
        base URL's host (an absolute URL, ``//host/...``). A relative path of unreserved
        characters, slashes and percent escapes only, with no dot segment (``/Orders/{quoted key}``),
        is one httpx leaves as it is: its target is the base path, the path and the query httpx writes
        for these params, with no URL parsed."""
        items = tuple(params.items())
        found = self._urls.get((path, items))
        if found is not None:
            return self._on_base(found)
        if (
            not path
            or path.startswith("//")  # a network-path reference: another host
            or _PLAIN_PATH.fullmatch(path) is None
            or any(seg in (".", "..") for seg in path.split("/"))
        ):
            return self._on_base(self.url(path, params))
        suffix = self._queries.get(items)
        if suffix is None:
            probe = self._build("_", params).raw_path  # the same base and query, a path of one plain character
            suffix = probe[probe.index(b"_") + 1 :]
            if len(self._queries) >= self.size:
                self._queries.clear()
            self._queries[items] = suffix
        return self._base_path + path.lstrip("/").encode("ascii") + suffix

    def _on_base(self, url: httpx.URL) -> bytes | None:
        base = self.base_url
        return url.raw_path if (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port) else None

    def _build(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        # httpx's Client._merge_url, then Request's URL(url, params=...): the same steps, the same URL.
        merged = httpx.URL(path)
        if merged.is_relative_url:
            base = self.base_url
            merged = base.copy_with(raw_path=base.raw_path + merged.raw_path.lstrip(b"/"))
        if not params and not merged.query:
            return merged  # URL(url, params={}) only sets an empty query again
        return httpx.URL(merged, params=params)


_PLAIN_PATH = re.compile(r"/?(?:[A-Za-z0-9._~/-]|%[0-9A-F]{2})*")


class DirectSend:
    """The asyncio client's requests on its own keep-alive transport without httpx's client layer:
    the head is httpx's own (the headers of a request httpx built for the same method, host and
    headers, kept per shape; the target and Content-Length are each call's), written by the same
    code the transport uses for httpx's requests, so the bytes on the wire are the same.

    Only where httpx's client would add nothing: its transport is ours (no proxy, no mount), no
    cookie is in the jar, no auth or event hook is set, and httpx's request log is off. Otherwise, and
    for every answer that is not a 2xx or that sets a cookie, the caller goes through httpx as before.
    """

    def __init__(self, http: httpx.AsyncClient, transport: KeepAliveTransport) -> None:
        self.http = http
        self.transport = transport
        self._heads: dict[tuple[str, bool, tuple[tuple[str, str], ...]], list[tuple[bytes, bytes]]] = {}

    def usable(self) -> bool:
        http = self.http
        return (
            not http.is_closed
            and http._transport is self.transport
            and not http._mounts
            and http.auth is None
            and not http.event_hooks["request"]
            and not http.event_hooks["response"]
            and not http.cookies.jar._cookies  # type: ignore[attr-defined]  # CookieJar's own store; len() walks it
            and not _HTTPX_LOG.isEnabledFor(logging.INFO)
        )

    def head(self, method: str, target: bytes, body: bytes | None, headers: Mapping[str, str]) -> bytes:
        """The head httpx's client and the transport would write for this request to the base URL's host
        (the only headers of httpx's that depend on the URL are Host, and a Cookie this path never has)."""
        shape = (method, body is None, tuple(headers.items()))
        raw = self._heads.get(shape)
        if raw is None:
            built = self.http.build_request(method, self.http.base_url, content=body, headers=headers)
            raw = list(built.headers.raw)
            if len(self._heads) >= 64:
                self._heads.clear()
            self._heads[shape] = raw
        return render_head(method, target, raw, body or b"")

    async def send(self, method: str, target: bytes, body: bytes | None, headers: Mapping[str, str]) -> Answer:
        """One request to the base URL's host."""
        base = self.http.base_url
        return await self.transport.exchange(
            base.host, base.port or 80, method, self.head(method, target, body, headers), body or b""
        )

    def response(
        self, method: str, url: httpx.URL, body: bytes | None, headers: Mapping[str, str], answer: Answer
    ) -> httpx.Response:
        """The answer as httpx's client would have handed it back (its cookies taken into the jar)."""
        request = self.http.build_request(method, url, content=body, headers=headers)
        response = httpx.Response(
            answer.status_code,
            headers=answer.headers,
            stream=httpx.ByteStream(answer.content),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )
        response.read()
        self.http.cookies.extract_cookies(response)
        return response


def sets_cookie(answer: Answer) -> bool:
    return any(name.lower() in _SET_COOKIE_BYTES for name, _ in answer.headers)


_SET_COOKIE_BYTES = frozenset(n.encode("ascii") for n in _SET_COOKIE)
_HTTPX_LOG = logging.getLogger("httpx")
