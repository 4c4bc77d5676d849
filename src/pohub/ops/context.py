"""The request being served, for log lines written anywhere below it (set by the request middleware)."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("pohub_request_id", default=None)
