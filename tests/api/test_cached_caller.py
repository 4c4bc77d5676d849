"""The lane's key check in one frame (``auth.cached_caller``, stop 27) against what it replaced,
kept here as the oracle: ``_cached(request, _key_from(request, bearer_credentials(request)))``.
Over random header lists and query strings (Bearer in any case, other schemes, spaces and tabs,
empty values, repeated headers, latin-1, the subscription-key query parameter in any case) with
keys the cache holds, keys it does not, and an expired hit: the same company (or None) and the
same ``state`` left in the scope."""

from __future__ import annotations

import random
from typing import Any

from starlette.requests import Request

from pohub.api.auth import _cached, _key_from, bearer_credentials, cached_caller
from pohub.partners.service import KeyCache, hash_key


def _old(request: Request) -> int | None:
    return _cached(request, _key_from(request, bearer_credentials(request)))


class _State:
    def __init__(self, cache: KeyCache) -> None:
        self.key_cache = cache


class _App:
    """What the lane's request carries as scope["app"]: Starlette's State over a dict."""

    def __init__(self, cache: KeyCache) -> None:
        from starlette.datastructures import State

        self.state = State({"key_cache": cache})


KNOWN = {"pohub_abc": 7, "pohub_\u00e9": 8, "pohub abc": 9, "second": 10, "q_key": 11, "expired": 12}
KEYS = [*KNOWN, "unknown", "", " ", "Bearer", "pohub_abc ", "\tpohub_abc"]
SCHEMES = ["Bearer", "bearer", "BEARER", "BeArEr", "Basic", "Token", "", " Bearer", "Bearer\t"]


def _cache() -> KeyCache:
    cache = KeyCache(30.0)
    for key, company in KNOWN.items():
        cache.put(hash_key(key), company)
    cache._hits[hash_key("expired")] = (12, 0.0)  # long past
    return cache


def _header(rng: random.Random) -> tuple[bytes, bytes]:
    shape = rng.randrange(5)
    key = rng.choice(KEYS)
    if shape == 0:
        text = f"{rng.choice(SCHEMES)}{rng.choice([' ', '  ', '', chr(9)])}{key}{rng.choice(['', ' ', '  '])}"
    elif shape == 1:
        text = rng.choice(SCHEMES)
    elif shape == 2:
        text = ""
    else:
        text = f"Bearer {key}"
    name = rng.choice([b"authorization"] * 4 + [b"x-authorization", b"x-other"])
    return name, text.encode("latin-1")


def _query(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randrange(3)):
        name = rng.choice(["subscription-key", "Subscription-Key", "SUBSCRIPTION-KEY", "other", "key"])
        parts.append(f"{name}={rng.choice(['q_key', 'unknown', '', 'pohub_abc'])}")
    return "&".join(parts).encode()


def _scope(headers: list[tuple[bytes, bytes]], query: bytes, app: Any, state: bool) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "query_string": query}
    scope["headers"] = headers
    scope["app"] = app
    if state:
        scope["state"] = {"other": 1}
    return scope


def test_cached_caller_answers_as_the_old_composition() -> None:
    rng = random.Random(27)
    app = _App(_cache())
    hits = misses = 0
    for _ in range(5000):
        headers = [_header(rng) for _ in range(rng.randrange(4))]
        query = _query(rng)
        state = rng.random() < 0.5
        old_scope, new_scope = _scope(list(headers), query, app, state), _scope(list(headers), query, app, state)
        expected = _old(Request(old_scope))
        assert cached_caller(Request(new_scope)) == expected, (headers, query)
        assert new_scope.get("state") == old_scope.get("state")
        hits += expected is not None
        misses += expected is None
    assert hits > 1000 and misses > 1000  # both ways well covered


def test_cases_by_hand() -> None:
    app = _App(_cache())

    def ask(headers: list[tuple[bytes, bytes]], query: bytes = b"") -> int | None:
        return cached_caller(Request(_scope(headers, query, app, False)))

    assert ask([(b"authorization", b"Bearer pohub_abc")]) == 7
    assert ask([(b"authorization", b"bearer   pohub_abc  ")]) == 7
    assert ask([(b"authorization", "Bearer pohub_\u00e9".encode("latin-1"))]) == 8
    assert ask([(b"authorization", b"Bearer pohub abc")]) == 9  # the rest after the first space
    assert ask([(b"authorization", b"Bearer first"), (b"authorization", b"Bearer second")]) is None  # the first
    assert ask([(b"authorization", b"Basic x")], b"subscription-key=q_key") == 11  # then the query
    assert ask([(b"authorization", b"Bearer unknown")], b"subscription-key=q_key") is None  # a Bearer key wins
    assert ask([(b"authorization", b"")], b"Subscription-Key=q_key") == 11
    assert ask([(b"authorization", b"Bearer expired")]) is None
    assert ask([]) is None
