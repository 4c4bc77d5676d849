"""`pohub users ...`: the operator adds, lists and removes the people who sign in to the dashboard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.config import get_settings
from pohub.partners import service as partners
from pohub.users import service as users

app = typer.Typer(help="Dashboard users: people sign in with email and password (API keys are for machines).")
console = Console()
T = TypeVar("T")
Runner = Callable[[Callable[[AsyncConnection], Awaitable[Any]]], Any]


def register(parent: typer.Typer, run: Runner) -> None:
    """Add `users` to the pohub command; ``run`` executes one unit of work (cli.main's)."""

    @app.command("add")
    def add(
        company: str = typer.Argument(..., help="The company's name or id"),
        email: str = typer.Argument(..., help="The person's email: their sign-in name"),
        role: str = typer.Option("clerk", "--role", help="admin, clerk or viewer"),
        name: str = typer.Option("", "--name", help="Shown on the timeline next to what they do"),
        password: bool = typer.Option(False, "--password", help="Print a first password instead of an invitation link"),
    ) -> None:
        """Add a user: prints an invitation link (7 days, works once) or a first password, shown only now."""

        async def work(conn: AsyncConnection) -> users.Added:
            found = await partners.find_company(conn, ref=company)
            return await users.add_user(
                conn, company_id=found.id, email=email, role=role, name=name, first_password=password
            )

        added: users.Added = run(work)
        console.print(f"{added.user.email} added to company {added.user.company_id} as {added.user.role.value}.")
        if added.password is not None:
            console.print("First password (shown once):")
            print(added.password, flush=True)
        else:
            settings = get_settings()
            base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
            console.print("Invitation link (shown once, valid 7 days):")
            print(f"{base}/invite/{added.invitation}", flush=True)

    @app.command("list")
    def list_(company: str = typer.Argument(..., help="The company's name or id")) -> None:
        """The company's users and their roles."""

        async def work(conn: AsyncConnection) -> list[users.User]:
            found = await partners.find_company(conn, ref=company)
            return await users.list_users(conn, company_id=found.id)

        table = Table(title="Users")
        for col in ("id", "email", "name", "role", "state"):
            table.add_column(col)
        for u in run(work):
            table.add_row(str(u.id), u.email, u.name, u.role.value, "active" if u.active else "invited")
        console.print(table)

    @app.command("remove")
    def remove(email: str = typer.Argument(..., help="The user's email")) -> None:
        """Remove a user: they cannot sign in, and their open sessions end on their next page."""

        async def work(conn: AsyncConnection) -> users.User:
            return await users.remove_by_email(conn, email=email)

        gone: users.User = run(work)
        console.print(f"{gone.email} removed; their sessions have ended.")

    parent.add_typer(app, name="users")
