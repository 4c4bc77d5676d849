"""The pohub command: serve, migrate, demo, companies, keys, partners, users."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.agent import cli as agent_cli
from pohub.config import get_settings
from pohub.core.errors import PohubError
from pohub.db.engine import Database
from pohub.db.migrate import Applied, DatabaseMissing
from pohub.db.migrate import upgrade as _upgrade
from pohub.jobs import cli as jobs_cli
from pohub.users import cli as users_cli

app = typer.Typer(help="pohub: an open purchase-order exchange.", no_args_is_help=True)
companies_app = typer.Typer(help="Trading partners (companies).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: shown once, stored hashed.", no_args_is_help=True)
partners_app = typer.Typer(help="Trading relationships between a buyer and a supplier.", no_args_is_help=True)
app.add_typer(companies_app, name="companies")
app.add_typer(keys_app, name="keys")
app.add_typer(partners_app, name="partners")
app.add_typer(agent_cli.app, name="agent")
jobs_cli.register(app)
console = Console()
T = TypeVar("T")


def upgrade(url: str) -> list[Applied]:
    """Migrate, or stop with what to do when the database has not been created."""
    try:
        return _upgrade(url)
    except DatabaseMissing as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def _in_transaction(work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run one unit of work against the configured database (migrated first)."""
    settings = get_settings()
    upgrade(settings.database_url)

    async def main() -> T:
        db = Database(settings.database_url, pool_size=1)
        try:
            async with db.write() as conn:
                return await work(conn)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except PohubError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


users_cli.register(app, lambda work: _in_transaction(work))


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest version."""
    from pohub.db.migrate import head

    settings = get_settings()
    applied = upgrade(settings.database_url)
    if not applied:
        console.print(f"database is up to date (revision {head()}); nothing to apply")
        return
    console.print(f"applied {len(applied)} migration(s); the database is now at revision {applied[-1].revision}:")
    for step in applied:
        console.print(f"  {step.revision}  {escape(step.doc.splitlines()[0] if step.doc else '')}")


@app.command()
def prune(
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be pruned, prune nothing"),
    older_than: float = typer.Option(None, help="Days (default POHUB_RETENTION_DAYS)"),
) -> None:
    """Prune the raw bodies of settled exchanges older than the retention age (the rows stay)."""
    from datetime import timedelta

    from pohub.core import clock
    from pohub.exchanges import retention

    settings = get_settings()
    days = settings.retention_days if older_than is None else older_than
    if days <= 0:
        console.print("retention is off (POHUB_RETENTION_DAYS=0): nothing to prune")
        return
    upgrade(settings.database_url)
    now = clock.now()

    async def main() -> retention.Pruned:
        db = Database(settings.database_url, pool_size=1)
        try:
            if dry_run:
                async with db.read() as conn:
                    return await retention.measure(conn, cutoff=now - timedelta(days=days))
            return await retention.prune(db, older_than=timedelta(days=days), now=now)
        finally:
            await db.dispose()

    done = asyncio.run(main())
    verb = "would prune" if dry_run else "pruned"
    console.print(f"{verb} the bodies of {done.exchanges} exchanges older than {days:g} days ({done.bytes} bytes)")


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on (POHUB_HOST)"),
    port: int = typer.Option(None, help="Port (POHUB_PORT)"),
    workers: int = typer.Option(1, help="Worker processes"),
) -> None:
    """Migrate, then serve the API (and docs at /docs)."""
    import uvicorn

    from pohub.secret_key import LEGACY_DEFAULT, serving_refusal

    settings = get_settings()
    host = host or settings.host
    refusal = serving_refusal(settings.secret_key, host)
    if refusal:
        console.print(f"[red]error:[/red] {escape(refusal)}")
        raise typer.Exit(2)
    if settings.secret_key == LEGACY_DEFAULT:
        console.print("[yellow]warning:[/yellow] POHUB_SECRET_KEY is the old published default; unset it")
    upgrade(settings.database_url)
    uvicorn.run(
        "pohub.api.app:create_app",
        factory=True,
        host=host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
    )


@app.command()
def demo(orders: int = typer.Option(25, help="Demo POs to create (once)")) -> None:
    """Load the demo companies and POs, and print a fresh key for each company."""
    from pohub import demo as demo_data

    companies = _in_transaction(lambda conn: demo_data.load(conn, orders=orders))
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    # Printed plainly (no table that would cut them short) so each can be pasted as is; shown once.
    console.print("Demo companies (API keys for machines, sign-ins for people; shown once):")
    for c in companies:
        print(f"  {c.id}  {c.name}", flush=True)
        print(f"      API key:  {c.key}", flush=True)
        print(f"      sign in:  {c.email}  password: {c.password}", flush=True)
    console.print(f"Dashboard: {base}/")
    supplier = companies[1]
    console.print(f"\nStep 1 of the seed flow, as {supplier.name} (POs ready to acknowledge):")
    # Printed plainly (no wrapping) so it can be pasted as is.
    print(f"curl '{base}/api/v1/Orders?Filters.status=150&subscription-key={supplier.key}'", flush=True)
    print(f"Interactive API docs: {base}/docs", flush=True)


@companies_app.command("add")
def companies_add(name: str) -> None:
    """Add a company."""
    from pohub.partners import service

    company = _in_transaction(lambda conn: service.add_company(conn, name=name))
    console.print(f"company {company.id} {company.name!r} added")


@companies_app.command("list")
def companies_list() -> None:
    """List companies."""
    from pohub.partners import repository

    rows: list[Any] = _in_transaction(repository.list_companies)
    table = Table("id", "name", "created")
    for row in rows:
        table.add_row(str(row.id), row.name, row.created_at.isoformat())
    console.print(table)


@keys_app.command("create")
def keys_create(company: str, label: str = typer.Option(None, help="A note on what the key is for")) -> None:
    """Create an API key for COMPANY (name or id); it is printed once."""
    from pohub.partners import service

    async def work(conn: AsyncConnection) -> str:
        found = await service.find_company(conn, ref=company)
        return await service.create_key(conn, company_id=found.id, label=label)

    key = _in_transaction(work)
    console.print("API key (shown once; only its hash is stored):")
    print(key)


@keys_app.command("revoke")
def keys_revoke(prefix: str) -> None:
    """Revoke the key starting with PREFIX (its first 12 characters)."""
    from pohub.core import clock
    from pohub.partners import repository

    count = _in_transaction(lambda conn: repository.revoke_key(conn, prefix=prefix[:12], revoked_at=clock.now()))
    console.print(f"{count} key(s) revoked")


@partners_app.command("connect")
def partners_connect(
    buyer: str,
    supplier: str,
    no_invoice: bool = typer.Option(False, "--no-invoice", help="Fully shipped orders complete without invoices"),
) -> None:
    """Let BUYER send POs to SUPPLIER (names or ids)."""
    from pohub.partners import service

    async def work(conn: AsyncConnection) -> tuple[Any, Any]:
        b = await service.find_company(conn, ref=buyer)
        s = await service.find_company(conn, ref=supplier)
        await service.connect(conn, buyer_id=b.id, supplier_id=s.id, invoice_required=not no_invoice)
        return b, s

    b, s = _in_transaction(work)
    console.print(f"{b.name} ({b.id}) now buys from {s.name} ({s.id}); invoices {'not ' if no_invoice else ''}required")


if __name__ == "__main__":
    app()
