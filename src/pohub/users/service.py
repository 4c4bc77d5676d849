"""Dashboard users: invite or add with a first password, accept an invitation, sign in (throttled),
change a role, remove. Keyword-only functions; the clock is a parameter where time matters."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.core import clock
from pohub.core.errors import Conflict, FieldError, NotFound, PohubError, Unauthorized, invalid
from pohub.users import passwords, throttle
from pohub.users import repository as repo
from pohub.users.roles import Role, parse_role

INVITATION_DAYS = 7
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TooManyAttempts(PohubError):
    status_code = 429


@dataclass(frozen=True)
class User:
    id: int
    company_id: int
    email: str
    name: str
    role: Role
    session_version: int
    active: bool  # has a password (invitation accepted)

    @property
    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class Added:
    user: User
    invitation: str | None  # the token of the invitation link, shown once
    password: str | None  # or the first password, shown once


def _user(r: Any) -> User:
    return User(
        id=int(r.id),
        company_id=int(r.company_id),
        email=str(r.email),
        name=str(r.name),
        role=Role(r.role),
        session_version=int(r.session_version),
        active=r.password_hash is not None,
    )


def _token_hash(token: str) -> str:
    # Invitation tokens are 192 random bits: a fast hash is enough to look one up.
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise invalid("email", f"must be an email address (got {email[:60]!r})")
    return email


async def add_user(
    conn: AsyncConnection,
    *,
    company_id: int,
    email: str,
    role: str,
    name: str = "",
    first_password: bool = False,
    now: datetime | None = None,
) -> Added:
    """A new user of the company: an invitation token (valid 7 days) or a first password, returned once."""
    now = now or clock.now()
    email = normal_email(email)
    found_role = parse_role(role)
    if found_role is None:
        raise invalid("role", f"must be admin, clerk or viewer (got {role!r})")
    name = name.strip()[:200] or email.split("@")[0]
    existing = await repo.by_email(conn, email)
    if existing is not None and existing.removed_at is None:
        raise Conflict(f"{email} already has an account", [FieldError("email", "already has an account")])
    token = password = None
    values: dict[str, object] = {
        "company_id": company_id,
        "email": email,
        "name": name,
        "role": found_role.value,
        "failed_signins": 0,
        "locked_until": None,
        "removed_at": None,
        "created_at": now,
    }
    if first_password:
        password = secrets.token_urlsafe(12)
        values |= {"password_hash": passwords.hash_password(password), "invite_hash": None, "invite_expires_at": None}
    else:
        token = secrets.token_urlsafe(24)
        values |= {
            "password_hash": None,
            "invite_hash": _token_hash(token),
            "invite_expires_at": now + timedelta(days=INVITATION_DAYS),
        }
    if existing is not None:  # a removed user invited again: the same row, new sessions only
        await repo.bump_session(conn, existing.id, **values)
        user_id = int(existing.id)
    else:
        user_id = await repo.insert_user(conn, values | {"session_version": 1})
    row = await repo.by_id(conn, user_id)
    return Added(_user(row), token, password)


async def invitation(conn: AsyncConnection, *, token: str, now: datetime | None = None) -> User:
    """The user an invitation link is for, while it is valid."""
    now = now or clock.now()
    row = await repo.by_invite_hash(conn, _token_hash(token)) if token else None
    if row is None or row.removed_at is not None or row.invite_expires_at is None or row.invite_expires_at < now:
        raise NotFound("This invitation link is not valid (it was used, it expired, or the user was removed)")
    return _user(row)


async def accept_invitation(
    conn: AsyncConnection, *, token: str, password: str, name: str = "", now: datetime | None = None
) -> User:
    """Set the first password from an invitation link; the link then stops working."""
    user = await invitation(conn, token=token, now=now)
    if (why := passwords.problem(password)) is not None:
        raise invalid("password", why)
    changes: dict[str, object] = {"password_hash": passwords.hash_password(password), "invite_hash": None}
    if name.strip():
        changes["name"] = name.strip()[:200]
    await repo.bump_session(conn, user.id, invite_expires_at=None, **changes)
    return _user(await repo.by_id(conn, user.id))


WRONG = "The email or password is wrong"


async def sign_in(
    conn: AsyncConnection, *, email: str, password: str, now: datetime | None = None
) -> User | PohubError:
    """The user these credentials belong to, or the refusal (401 wrong, 429 while locked) as a
    value, not raised: a wrong password's count must commit with the caller's unit of work."""
    now = now or clock.now()
    row = await repo.by_email(conn, email.strip().lower()) if email.strip() else None
    if row is None or row.removed_at is not None:
        passwords.verify(None, password[: passwords.MAX_LENGTH])  # the same time as a real check
        return Unauthorized(WRONG, [FieldError("email", WRONG)])
    if (wait := throttle.wait_seconds(row.locked_until, now=now)) > 0:
        return TooManyAttempts(
            f"Too many wrong passwords: try again in {wait} s",
            [FieldError("password", f"too many wrong passwords; try again in {wait} s")],
        )
    if not passwords.verify(row.password_hash, password[: passwords.MAX_LENGTH]):
        failures = int(row.failed_signins) + 1
        await repo.set_fields(
            conn, row.id, failed_signins=failures, locked_until=throttle.lock_after(failures, now=now)
        )
        return Unauthorized(WRONG, [FieldError("password", WRONG)])
    changes: dict[str, object] = {"failed_signins": 0, "locked_until": None}
    if passwords.needs_rehash(row.password_hash):
        changes["password_hash"] = passwords.hash_password(password)
    await repo.set_fields(conn, row.id, **changes)
    return _user(row)


async def for_session(conn: AsyncConnection, *, user_id: int, version: int) -> User | None:
    """The user a session cookie names, if it still may sign in with that session."""
    row = await repo.by_id(conn, user_id)
    if row is None or row.removed_at is not None or row.password_hash is None or row.session_version != version:
        return None
    return _user(row)


async def list_users(conn: AsyncConnection, *, company_id: int) -> list[User]:
    return [_user(r) for r in await repo.of_company(conn, company_id)]


async def _of_company(conn: AsyncConnection, *, company_id: int, user_id: int) -> Any:
    row = await repo.by_id(conn, user_id)
    if row is None or row.company_id != company_id or row.removed_at is not None:
        raise NotFound(f"No user {user_id}")
    return row


async def _keep_an_admin(conn: AsyncConnection, *, company_id: int, row: Any) -> None:
    if row.role == Role.ADMIN and await repo.count_admins(conn, company_id) <= 1:
        raise Conflict(
            "A company keeps at least one admin: make someone else admin first",
            [FieldError("role", "the last admin cannot be removed or demoted")],
        )


async def set_role(conn: AsyncConnection, *, company_id: int, user_id: int, role: str) -> User:
    """A new role; the person signs in again (sessions end), so no page shows the old rights."""
    found = parse_role(role)
    if found is None:
        raise invalid("role", f"must be admin, clerk or viewer (got {role!r})")
    row = await _of_company(conn, company_id=company_id, user_id=user_id)
    if found != Role.ADMIN:
        await _keep_an_admin(conn, company_id=company_id, row=row)
    await repo.bump_session(conn, user_id, role=found.value)
    return _user(await repo.by_id(conn, user_id))


async def remove_user(conn: AsyncConnection, *, company_id: int, user_id: int, now: datetime | None = None) -> None:
    """The user can no longer sign in, and every session it has ends on its next page."""
    row = await _of_company(conn, company_id=company_id, user_id=user_id)
    await _keep_an_admin(conn, company_id=company_id, row=row)
    await repo.bump_session(
        conn, user_id, removed_at=now or clock.now(), password_hash=None, invite_hash=None, invite_expires_at=None
    )


async def remove_by_email(conn: AsyncConnection, *, email: str, now: datetime | None = None) -> User:
    """For the operator's command line: remove whoever has this email (no last-admin rule)."""
    row = await repo.by_email(conn, email.strip().lower())
    if row is None or row.removed_at is not None:
        raise NotFound(f"No user {email!r}")
    await repo.bump_session(
        conn, row.id, removed_at=now or clock.now(), password_hash=None, invite_hash=None, invite_expires_at=None
    )
    return _user(row)


async def issue_password(conn: AsyncConnection, *, email: str) -> str:
    """A new first password for a user (printed once by the operator's tools); other sessions end."""
    row = await repo.by_email(conn, email.strip().lower())
    if row is None or row.removed_at is not None:
        raise NotFound(f"No user {email!r}")
    password = secrets.token_urlsafe(12)
    await repo.bump_session(
        conn,
        row.id,
        password_hash=passwords.hash_password(password),
        invite_hash=None,
        invite_expires_at=None,
        failed_signins=0,
        locked_until=None,
    )
    return password
