"""Roles and what each may do, in one table."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CLERK = "clerk"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # every page
    ACT = "act"  # acknowledge, ship, invoice, set statuses
    MANAGE = "manage"  # users, API keys, webhooks, trading partner settings


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.CLERK: frozenset({Permission.READ, Permission.ACT}),
    Role.ADMIN: frozenset({Permission.READ, Permission.ACT, Permission.MANAGE}),
}

ROLE_LABELS = {
    Role.ADMIN: "Admin: acts on orders, manages users, API keys, webhooks and partners",
    Role.CLERK: "Clerk: acknowledges, ships, invoices and sets statuses",
    Role.VIEWER: "Viewer: reads everything, changes nothing",
}


def parse_role(value: str) -> Role | None:
    try:
        return Role(value.strip().lower())
    except ValueError:
        return None


def may(role: str, permission: Permission) -> bool:
    found = parse_role(role)
    return found is not None and permission in GRANTS[found]
