"""Who is calling: an API key in the subscription-key query parameter (as the platform takes it)
or an Authorization: Bearer header, resolved to a company."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from pohub.partners.service import KeyCache, company_for_key, hash_key

# Declared for the OpenAPI document (and /docs' Authorize button); resolution is below.
_query_scheme = APIKeyQuery(name="subscription-key", auto_error=False)
_bearer_scheme = HTTPBearer(auto_error=False)


def _key_from(request: Request, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    for name, value in request.query_params.items():
        if name.lower() == "subscription-key":
            return value
    return None


async def company_of(request: Request, bearer: HTTPAuthorizationCredentials | None) -> int:
    """The caller's company (401 without a valid key): the one rule, for FastAPI's dependency
    and for the fast lane (api/lane.py) alike."""
    key = _key_from(request, bearer)
    cache: KeyCache = request.app.state.key_cache
    if key:
        hit = cache.get(hash_key(key))
        if hit is not None:
            request.state.company_id = hit
            return hit
    async with request.app.state.db.read() as conn:
        company_id = await company_for_key(conn, key=key)
    if key:
        cache.put(hash_key(key), company_id)
    request.state.company_id = company_id  # for the access log line
    return company_id


async def current_company(
    request: Request,
    _q: Annotated[str | None, Depends(_query_scheme)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)] = None,
) -> int:
    return await company_of(request, bearer)


async def caller_company(request: Request) -> int:
    """``current_company`` without FastAPI's dependency solving: the Bearer header read by the
    same scheme object the dependency runs (the query parameter is read by ``_key_from``)."""
    return await company_of(request, await _bearer_scheme(request))


CompanyDep = Annotated[int, Depends(current_company)]
