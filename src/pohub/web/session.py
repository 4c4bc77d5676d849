"""The dashboard's session: a signed, HttpOnly, SameSite cookie holding the company, the hash of the
key that signed in (so revoking the key ends the session) and a CSRF token for every form.

Before signing in the cookie holds only a CSRF token, so the sign-in form is protected as well.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from pohub.partners import repository as partners_repo
from pohub.partners.service import KeyCache

COOKIE = "pohub_session"
MAX_AGE = 12 * 3600  # a working day; signing in again is one paste


@dataclass(frozen=True)
class Session:
    csrf: str
    company_id: int | None = None
    key_hash: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.company_id is not None

    def as_cookie(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t": self.csrf}
        if self.company_id is not None:
            data |= {"c": self.company_id, "k": self.key_hash}
        return data


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in company; the router answers with a redirect."""


class CsrfFailed(Exception):
    """A form came without the session's CSRF token."""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="pohub.web.session")


def new_session(company_id: int | None = None, key_hash: str | None = None) -> Session:
    return Session(csrf=secrets.token_urlsafe(24), company_id=company_id, key_hash=key_hash)


def read_session(request: Request) -> Session | None:
    """The session the cookie carries, if its signature and age check out."""
    if "web_session" in request.scope:
        found: Session | None = request.scope["web_session"]
        return found
    session: Session | None = None
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(request).loads(raw, max_age=MAX_AGE)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("t"), str):
            company = data.get("c")
            key_hash = data.get("k")
            if isinstance(company, int) and isinstance(key_hash, str):
                session = Session(data["t"], company, key_hash)
            else:
                session = Session(data["t"])
    request.scope["web_session"] = session
    return session


def write_session(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(session.as_cookie()),
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


async def signed_in(request: Request) -> Session:
    """The signed-in session, its key still valid; otherwise SignInRequired."""
    session = read_session(request)
    if session is None or session.company_id is None or session.key_hash is None:
        raise SignInRequired
    cache: KeyCache = request.app.state.key_cache
    company_id = cache.get(session.key_hash)
    if company_id is None:
        async with request.app.state.db.read() as conn:
            company_id = await partners_repo.company_id_for_key_hash(conn, session.key_hash)
        if company_id is not None:
            cache.put(session.key_hash, company_id)
    if company_id != session.company_id:
        raise SignInRequired  # the key was revoked
    return session


def check_csrf(session: Session | None, token: object) -> None:
    if session is None or not isinstance(token, str) or not secrets.compare_digest(session.csrf, token):
        raise CsrfFailed
