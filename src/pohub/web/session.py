"""The dashboard's session: a signed, HttpOnly, SameSite cookie holding the signed-in user, the
user's session version (so removing the user, a new role or a new password ends the session on the
next page) and a CSRF token for every form.

Before signing in the cookie holds only a CSRF token, so the sign-in form is protected as well.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from pohub.users import service as users
from pohub.users.roles import Permission, may

COOKIE = "pohub_session"
MAX_AGE = 12 * 3600  # a working day


@dataclass(frozen=True)
class Session:
    csrf: str
    user_id: int | None = None
    version: int | None = None
    # Filled by signed_in() from the users table on every page, never trusted from the cookie.
    user: users.User | None = None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def company_id(self) -> int | None:
        return self.user.company_id if self.user else None

    @property
    def actor(self) -> str | None:
        """The name the timeline shows for what this person does."""
        return self.user.display if self.user else None

    def may(self, permission: Permission) -> bool:
        return self.user is not None and may(self.user.role, permission)

    def as_cookie(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t": self.csrf}
        if self.user_id is not None:
            data |= {"u": self.user_id, "v": self.version}
        return data


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in user; the router answers with a redirect."""


class CsrfFailed(Exception):
    """A form came without the session's CSRF token."""


class NotAllowed(Exception):
    """The signed-in user's role does not allow this; the router answers with a 403 page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="pohub.web.session")


def new_session(user: users.User | None = None) -> Session:
    if user is None:
        return Session(csrf=secrets.token_urlsafe(24))
    return Session(csrf=secrets.token_urlsafe(24), user_id=user.id, version=user.session_version, user=user)


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
            user_id, version = data.get("u"), data.get("v")
            if isinstance(user_id, int) and isinstance(version, int):
                session = Session(data["t"], user_id, version)
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


async def signed_in(request: Request, permission: Permission = Permission.READ) -> Session:
    """The signed-in session, its user still there with the same session version and allowed
    ``permission``; otherwise SignInRequired (or NotAllowed)."""
    session = read_session(request)
    if session is None or session.user_id is None or session.version is None:
        raise SignInRequired
    if session.user is None:
        async with request.app.state.db.read() as conn:
            user = await users.for_session(conn, user_id=session.user_id, version=session.version)
        if user is None:
            raise SignInRequired  # removed, re-keyed or given another role since
        session = replace(session, user=user)
        request.scope["web_session"] = session
    if not session.may(permission):
        raise NotAllowed(DENIED[permission])
    return session


DENIED = {
    Permission.READ: "You may not see this page.",
    Permission.ACT: (
        "Your role (viewer) reads orders but does not act on them: ask an admin of your company for the clerk role."
    ),
    Permission.MANAGE: "Only your company's admins manage users, API keys, webhooks and trading partners.",
}


def check_csrf(session: Session | None, token: object) -> None:
    if session is None or not isinstance(token, str) or not secrets.compare_digest(session.csrf, token):
        raise CsrfFailed
