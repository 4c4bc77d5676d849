"""Who is calling: an API key in the subscription-key query parameter (as the platform takes it)
or an Authorization: Bearer header, resolved to a company."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from pohub.partners.service import KeyCache, company_for_key, hash_key

# Declared for the OpenAPI document (and /docs' Authorize button); resolution is below.
_query_scheme = APIKeyQuery(name="subscription-key", auto_error=False)
_bearer_scheme = HTTPBearer(auto_error=False)


def _key_from(request: Request, bearer: str | None) -> str | None:
    if bearer:
        return bearer
    for name, value in request.query_params.items():
        if name.lower() == "subscription-key":
            return value
    return None


def _cached(request: Request, key: str | None) -> int | None:
    """The company the key cache holds for this key (remembered for the access log line), else None."""
    if not key:
        return None
    cache: KeyCache = request.scope["app"].state.key_cache  # request.app, without the property's call
    hit = cache.get(hash_key(key))
    if hit is not None:
        # What request.state.company_id = hit stores (in the scope's state dict), without the State object.
        request.scope.setdefault("state", {})["company_id"] = hit
    return hit


async def company_of(request: Request, bearer: str | None) -> int:
    """The caller's company (401 without a valid key): the one rule, for FastAPI's dependency
    and for the fast lane (api/lane.py) alike."""
    key = _key_from(request, bearer)
    hit = _cached(request, key)
    if hit is not None:
        return hit
    async with request.app.state.db.read() as conn:
        company_id = await company_for_key(conn, key=key)
    if key:
        request.app.state.key_cache.put(hash_key(key), company_id)
    request.state.company_id = company_id  # for the access log line
    return company_id


async def current_company(
    request: Request,
    _q: Annotated[str | None, Depends(_query_scheme)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)] = None,
) -> int:
    return await company_of(request, bearer.credentials if bearer is not None else None)


def bearer_credentials(request: Request) -> str | None:
    """What ``HTTPBearer(auto_error=False)`` gives as credentials (None where it gives None), read
    from the scope's headers: no Headers object and no pydantic model built for it. As Starlette's
    ``headers.get``, the first Authorization header counts (ASGI servers send names lowercased)."""
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            scheme, credentials = get_authorization_scheme_param(value.decode("latin-1"))
            return credentials if scheme and credentials and scheme.lower() == "bearer" else None
    return None


async def caller_company(request: Request) -> int:
    """``current_company`` without FastAPI's dependency solving: the Bearer credentials as the
    dependency's scheme reads them (``bearer_credentials``; the query parameter by ``_key_from``)."""
    return await company_of(request, bearer_credentials(request))


def cached_caller(request: Request) -> int | None:
    """What ``caller_company`` answers when the key cache holds the caller's key, without a
    coroutine (the lane's every request after the first); None otherwise: then await that.
    ``_cached(request, _key_from(request, bearer_credentials(request)))`` in one frame: the Bearer
    credentials as ``get_authorization_scheme_param`` splits them, the app's state read from its
    dict (``State.__getattr__`` is a Python call made after the normal lookup misses);
    ``tests/api/test_cached_caller.py`` compares the two."""
    scope = request.scope
    key: str | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if value:
                scheme, _, param = value.decode("latin-1").partition(" ")
                param = param.strip()
                if scheme and param and scheme.lower() == "bearer":
                    key = param
            break
    if key is None:
        key = _key_from(request, None)
        if not key:
            return None
    cache: KeyCache = scope["app"].state._state["key_cache"]
    hit = cache.get(hash_key(key))
    if hit is not None:
        scope.setdefault("state", {})["company_id"] = hit
    return hit


CompanyDep = Annotated[int, Depends(current_company)]
