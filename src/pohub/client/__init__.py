"""A typed client for Logicbroker-compatible APIs (pohub's hub, ``https://stage.commerceapi.io``,
``https://commerceapi.io``): sync and async, paging, throttled, retried, sharing the hub's models."""

from pohub.client.aio import AsyncClient
from pohub.client.base import ClientOptions, Stats, api_root
from pohub.client.envelope import Created, Page, read_created, read_page, unwrap
from pohub.client.errors import ApiError, ClientError, FieldIssue, UnavailableError
from pohub.client.retry import RetryPolicy, parse_retry_after
from pohub.client.sync import Client
from pohub.client.throttle import Clock, Limits, RateLimit, SystemClock, TokenBucket

__all__ = [
    "ApiError",
    "AsyncClient",
    "Client",
    "ClientError",
    "ClientOptions",
    "Clock",
    "Created",
    "FieldIssue",
    "Limits",
    "Page",
    "RateLimit",
    "RetryPolicy",
    "Stats",
    "SystemClock",
    "TokenBucket",
    "UnavailableError",
    "api_root",
    "parse_retry_after",
    "read_created",
    "read_page",
    "unwrap",
]
