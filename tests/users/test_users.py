"""Dashboard users against a real database: invitations, first passwords, throttled sign-in on an
injected clock, roles, removal ending sessions, the last admin kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pohub.core.errors import Conflict, NotFound, PohubError, Unprocessable
from pohub.db.engine import Database
from pohub.partners import service as partners
from pohub.users import passwords, service, throttle
from pohub.users.roles import Permission, Role, may
from pohub.users.service import TooManyAttempts, User

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


async def _company(db: Database) -> int:
    async with db.write() as conn:
        return (await partners.add_company(conn, name=f"co-{uuid.uuid4().hex[:8]}")).id


def _email() -> str:
    return f"p-{uuid.uuid4().hex[:8]}@example.com"


async def test_invitation_sets_the_first_password_once(db: Database) -> None:
    company = await _company(db)
    email = _email()
    async with db.write() as conn:
        added = await service.add_user(conn, company_id=company, email=email.upper(), role="clerk", now=T0)
    assert added.password is None and added.invitation and added.user.email == email and not added.user.active
    token = added.invitation
    async with db.write() as conn:
        with pytest.raises(Unprocessable, match="at least 12 characters"):
            await service.accept_invitation(conn, token=token, password="short", now=T0)
    async with db.write() as conn:
        user = await service.accept_invitation(conn, token=token, password="a long passphrase", name="Ann", now=T0)
    assert user.active and user.name == "Ann"
    async with db.write() as conn:
        with pytest.raises(NotFound):  # used
            await service.invitation(conn, token=token, now=T0)
        assert isinstance(await service.sign_in(conn, email=email, password="a long passphrase", now=T0), User)


async def test_an_invitation_expires_after_seven_days(db: Database) -> None:
    company = await _company(db)
    async with db.write() as conn:
        added = await service.add_user(conn, company_id=company, email=_email(), role="viewer", now=T0)
    assert added.invitation is not None
    async with db.read() as conn:
        assert (await service.invitation(conn, token=added.invitation, now=T0 + timedelta(days=6, hours=23))).id
        with pytest.raises(NotFound):
            await service.invitation(conn, token=added.invitation, now=T0 + timedelta(days=7, seconds=1))


async def test_sign_in_is_throttled_on_the_clock(db: Database) -> None:
    company = await _company(db)
    email = _email()
    async with db.write() as conn:
        added = await service.add_user(conn, company_id=company, email=email, role="clerk", first_password=True)
    assert added.password is not None and len(added.password) >= 12

    async def attempt(password: str, at: datetime) -> User | PohubError:
        async with db.write() as conn:
            return await service.sign_in(conn, email=email, password=password, now=at)

    for n in range(5):
        assert (await attempt("wrong", T0 + timedelta(seconds=n))).status_code == 401  # type: ignore[union-attr]
    # the fifth failure (at T0+4 s) locks for 30 s: the right password waits too
    locked = await attempt(added.password, T0 + timedelta(seconds=33))
    assert isinstance(locked, TooManyAttempts) and "try again in 1 s" in locked.message
    assert isinstance(await attempt("wrong", T0 + timedelta(seconds=34)), PohubError)  # a sixth failure: 60 s
    assert isinstance(await attempt(added.password, T0 + timedelta(seconds=93)), TooManyAttempts)
    assert isinstance(await attempt(added.password, T0 + timedelta(seconds=95)), User)
    # a success resets the count: five more failures are free again
    for n in range(4):
        assert not isinstance(await attempt("wrong", T0 + timedelta(minutes=5, seconds=n)), TooManyAttempts)
    assert isinstance(await attempt(added.password, T0 + timedelta(minutes=5, seconds=5)), User)


def test_lock_grows_and_stops_at_fifteen_minutes() -> None:
    assert throttle.lock_after(4, now=T0) is None
    assert throttle.lock_after(5, now=T0) == T0 + timedelta(seconds=30)
    assert throttle.lock_after(6, now=T0) == T0 + timedelta(seconds=60)
    assert throttle.lock_after(50, now=T0) == T0 + timedelta(minutes=15)
    assert throttle.wait_seconds(T0 + timedelta(seconds=1.2), now=T0) == 2
    assert throttle.wait_seconds(T0, now=T0) == 0


def test_passwords_are_argon2id() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery") and not passwords.verify(stored, "wrong")
    assert not passwords.verify(None, "anything")
    assert passwords.problem(" padded password ") == "must not start or end with a space"


def test_roles_grant_what_they_say() -> None:
    assert may("viewer", Permission.READ) and not may("viewer", Permission.ACT)
    assert may("clerk", Permission.ACT) and not may("clerk", Permission.MANAGE)
    assert may("admin", Permission.MANAGE) and not may("owner", Permission.READ)


async def test_role_changes_and_removal_end_sessions_and_keep_an_admin(db: Database) -> None:
    company = await _company(db)
    async with db.write() as conn:
        admin = (
            await service.add_user(conn, company_id=company, email=_email(), role="admin", first_password=True)
        ).user
        clerk = (
            await service.add_user(conn, company_id=company, email=_email(), role="clerk", first_password=True)
        ).user
        with pytest.raises(Conflict, match="already has an account"):
            await service.add_user(conn, company_id=company, email=clerk.email, role="viewer")
        with pytest.raises(Unprocessable, match="admin, clerk or viewer"):
            await service.add_user(conn, company_id=company, email=_email(), role="owner")
    async with db.write() as conn:
        assert await service.for_session(conn, user_id=clerk.id, version=clerk.session_version) is not None
        changed = await service.set_role(conn, company_id=company, user_id=clerk.id, role="viewer")
        assert changed.role == Role.VIEWER
        assert await service.for_session(conn, user_id=clerk.id, version=clerk.session_version) is None
        with pytest.raises(Conflict, match="at least one admin"):
            await service.set_role(conn, company_id=company, user_id=admin.id, role="clerk")
        with pytest.raises(Conflict, match="at least one admin"):
            await service.remove_user(conn, company_id=company, user_id=admin.id)
        with pytest.raises(NotFound):  # another company's user
            await service.remove_user(conn, company_id=company + 10_000, user_id=clerk.id)
        await service.remove_user(conn, company_id=company, user_id=clerk.id)
        assert await service.for_session(conn, user_id=clerk.id, version=changed.session_version) is None
        assert [u.id for u in await service.list_users(conn, company_id=company)] == [admin.id]
