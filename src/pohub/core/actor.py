"""Who is acting, for the timeline: the person behind a dashboard action.

The services write an order's events in the same transaction as the change, and take no "who"
parameter: the API acts for a company's key, not a person. The dashboard runs a service call inside
``acting_as(name)``, and ``orders.events`` reads ``current()`` when it builds an event row. A
context variable is per task (per request), so concurrent requests never see each other's person.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ACTOR: ContextVar[str | None] = ContextVar("pohub_actor", default=None)


def current() -> str | None:
    """The person acting in this task, or None (an API key, the agent, a background job)."""
    return _ACTOR.get()


@contextmanager
def acting_as(name: str | None) -> Iterator[None]:
    token = _ACTOR.set(name)
    try:
        yield
    finally:
        _ACTOR.reset(token)
