"""Two things httpx's client does for every request that cost the agent more CPU than the request
itself, done once or skipped when there is nothing to do. What goes on the wire is unchanged.

Profiled against a local hub (bench/agent_bench.py --profile), a third of the agent's CPU went into
httpx's client layer: parsing the same URL three times per request (the path, the path joined to the
base URL, the query merged in), and reading every answer for cookies through ``http.cookiejar`` (a
``urllib`` request and an ``email`` message per answer) though the hub sets none.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookiejar import CookieJar

import httpx

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

    def url(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        key = (path, tuple(params.items()))
        found = self._urls.get(key)
        if found is None:
            found = self._build(path, params)
            if len(self._urls) >= self.size:
                self._urls.clear()
            self._urls[key] = found
        return found

    def _build(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        # httpx's Client._merge_url, then Request's URL(url, params=...): the same steps, the same URL.
        merged = httpx.URL(path)
        if merged.is_relative_url:
            base = self.base_url
            merged = base.copy_with(raw_path=base.raw_path + merged.raw_path.lstrip(b"/"))
        if not params and not merged.query:
            return merged  # URL(url, params={}) only sets an empty query again
        return httpx.URL(merged, params=params)
