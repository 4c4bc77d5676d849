"""What the sync and the async client share: options, URLs and auth, reading answers, and figures."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

import pohub
from pohub.client.calls import Call
from pohub.client.errors import AnswerError, ApiError, error_from_answer
from pohub.client.retry import RetryPolicy, is_retryable_status, parse_retry_after
from pohub.client.throttle import Limits
from pohub.core import jsonio

USER_AGENT = f"pohub-agent/{pohub.__version__}"


def api_root(base_url: str) -> str:
    """``https://stage.commerceapi.io`` -> ``https://stage.commerceapi.io/api/v1``; a URL that already
    names an API version is kept as it is."""
    url = base_url.rstrip("/")
    return url if "/api/" in url + "/" and url.rsplit("/", 1)[-1].startswith("v") else f"{url}/api/v1"


@dataclass(frozen=True)
class ClientOptions:
    """How to reach a hub and how politely. ``auth`` is ``query`` (the ``subscription-key`` parameter,
    as the commercial API takes it) or ``bearer``."""

    base_url: str
    api_key: str = field(repr=False)
    auth: str = "query"
    timeout: float = 60.0
    limits: Limits = field(default_factory=Limits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    page_size: int = 1000
    first_page: int = 1

    def __post_init__(self) -> None:
        if self.auth not in ("query", "bearer"):
            raise ValueError(f"auth is 'query' or 'bearer', got {self.auth!r}")


class Stats:
    """Requests, retries and time: ``server_seconds`` is the time at least one request was in flight
    (the union, so concurrent requests are not counted twice)."""

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.throttled_seconds = 0.0
        self.server_seconds = 0.0
        self._in_flight = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def started(self) -> None:
        with self._lock:
            self.requests += 1
            if self._in_flight == 0:
                self._since = time.perf_counter()
            self._in_flight += 1

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.server_seconds += time.perf_counter() - self._since

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled_seconds": round(self.throttled_seconds, 3),
            "server_seconds": round(self.server_seconds, 3),
        }


def client_kwargs(options: ClientOptions) -> dict[str, Any]:
    """Arguments for httpx.Client / httpx.AsyncClient."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if options.auth == "bearer":
        headers["Authorization"] = f"Bearer {options.api_key}"
    return {"base_url": api_root(options.base_url), "headers": headers, "timeout": options.timeout}


def request_params(options: ClientOptions, call: Call[Any]) -> dict[str, str]:
    params = dict(call.params)
    if options.auth == "query":
        params["subscription-key"] = options.api_key
    return params


def request_headers(call: Call[Any]) -> dict[str, str]:
    return {"Content-Type": "application/json"} if call.body is not None else {}


def decode(response: httpx.Response) -> Any:
    """The answer's JSON (exact decimals), or None when it is not JSON."""
    return decode_content(response.content)


def decode_content(content: bytes) -> Any:
    if not content:
        return None
    try:
        return jsonio.loads(content)
    except Exception:
        return None


@dataclass
class Outcome:
    """What to do with one answer: a result, an error to raise, or a wait before trying again."""

    value: Any = None
    error: ApiError | None = None
    retry_after: float | None = None
    retry: bool = False


def judge(call: Call[Any], response: httpx.Response) -> Outcome:
    """Read an answer: 2xx parses, 5xx/408/429 are worth another try, anything else is the server's no."""
    if response.is_success:
        return Outcome(value=judge_success(call, response.status_code, response.content))
    data = decode(response)
    error = error_from_answer(response.status_code, data, response.text, method=call.method, path=call.path)
    if is_retryable_status(response.status_code):
        return Outcome(error=error, retry=True, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return Outcome(error=error)


def judge_success(call: Call[Any], status_code: int, content: bytes) -> Any:
    """A 2xx answer's value, as the call reads it."""
    try:
        return call.parse(status_code, decode_content(content))
    except AnswerError as exc:
        exc.method, exc.path = call.method, call.path
        raise


def describe_transport_error(exc: Exception, secret: str) -> str:
    """A network error in words, with the key blotted out should the library have put the URL in it."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text.replace(secret, "***") if secret else text
