"""The pohub command: serve, migrate, demo, companies, keys, partners, users."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
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
from pohub.ops import cli as ops_cli
from pohub.ops import serving
from pohub.users import cli as users_cli

app = typer.Typer(help="pohub: an open purchase-order exchange.", no_args_is_help=True)
companies_app = typer.Typer(help="Trading partners (companies).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: shown once, stored hashed.", no_args_is_help=True)
partners_app = typer.Typer(help="Trading relationships between a buyer and a supplier.", no_args_is_help=True)
app.add_typer(companies_app, name="companies")
app.add_typer(keys_app, name="keys")
app.add_typer(partners_app, name="partners")
edi_app = typer.Typer(help="EDI (X12, EDIFACT): partner profiles.", no_args_is_help=True)
edi_partners_app = typer.Typer(help="EDI partner profiles, one per trading relationship.", no_args_is_help=True)
app.add_typer(edi_app, name="edi")
edi_app.add_typer(edi_partners_app, name="partners")
app.add_typer(agent_cli.app, name="agent")
jobs_cli.register(app)
ops_cli.register(app)
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
    from pohub.documents import counts, wire

    settings = get_settings()
    applied = upgrade(settings.database_url)
    if not applied:
        console.print(f"database is up to date (revision {head()}); nothing to apply")
    else:
        console.print(f"applied {len(applied)} migration(s); the database is now at revision {applied[-1].revision}:")
        for step in applied:
            console.print(f"  {step.revision}  {escape(step.doc.splitlines()[0] if step.doc else '')}")
    # Orders whose answer template is missing or from an older renderer (rows loaded around pohub, a
    # release that renders differently) are served the slow way until they get a current one.
    rendered = _in_transaction(wire.refresh)
    if rendered:
        console.print(f"rendered {rendered} order template(s) anew (documents/wire.py)")
    # PostgreSQL: order_counts' rows of connections since closed (all of them, pohub being stopped).
    folded = asyncio.run(counts.compact_at(settings.database_url))
    if folded:
        console.print(f"folded {folded} order_counts row(s) of closed connections (documents/counts.py)")


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
    app_path = "pohub.api.app:create_app"
    options = {
        "factory": True,
        "host": host,
        "port": port or settings.port,
        "log_level": settings.log_level,
        "access_log": False,  # pohub.access logs each request, without its query string (keys travel there)
        **ops_cli.serve_options(settings, workers),
    }
    if workers > 1 and serving.spreads_connections():
        raise typer.Exit(serving.Supervisor(app_path, options, workers).run())
    uvicorn.run(app_path, workers=workers, **options)


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


@edi_partners_app.command("add")
def edi_partners_add(
    edi_company: str = typer.Argument(..., help="The company that speaks EDI (name or id)"),
    counterparty: str = typer.Argument(..., help="The company it trades with through pohub (name or id)"),
    standard: str = typer.Option("x12", help="x12 or edifact"),
    version: str = typer.Option("004010", help="004010 or 005010 (x12), D96A (edifact)"),
    their_id: str = typer.Option(..., help="Their interchange id (ISA06 / UNB sender)"),
    their_qualifier: str = typer.Option("ZZ", help="Its qualifier (ISA05 / UNB 0007)"),
    our_id: str = typer.Option(..., help="pohub's id towards them (ISA08 / UNB recipient)"),
    our_qualifier: str = typer.Option("ZZ", help="Its qualifier (ISA07 / UNB 0007)"),
    their_group_id: str = typer.Option(None, help="GS02 they send (default: their id)"),
    our_group_id: str = typer.Option(None, help="GS03 they send to (default: our id)"),
    test: bool = typer.Option(False, "--test", help="Test partner: interchanges acknowledged, never applied"),
    no_997: bool = typer.Option(False, "--no-997", help="They do not answer pohub's groups with a 997 / CONTRL"),
    ack_within: int = typer.Option(1440, help="Minutes after which a 997 not received is overdue"),
    transport: str = typer.Option("api", help="api (POST /edi), as2 or folder"),
    as2_url: str = typer.Option(None, help="Their AS2 URL (as2)"),
    as2_their_id: str = typer.Option(None, help="Their AS2-From name (as2)"),
    as2_our_id: str = typer.Option(None, help="pohub's AS2 name towards them (as2)"),
    folder: str = typer.Option(None, help="The drop folder (folder): in/ and out/ under it"),
) -> None:
    """Set up the EDI profile of a relationship between two connected companies."""
    from pohub.edi.partners import service as edi
    from pohub.partners import service

    values = {
        "standard": standard,
        "version": version,
        "their_id": their_id,
        "their_qualifier": their_qualifier,
        "our_id": our_id,
        "our_qualifier": our_qualifier,
        "their_group_id": their_group_id,
        "our_group_id": our_group_id,
        "usage": "T" if test else "P",
        "expects_997": not no_997,
        "ack_within_minutes": ack_within,
        "transport": transport,
        "as2_url": as2_url,
        "as2_their_id": as2_their_id,
        "as2_our_id": as2_our_id,
        "folder": folder,
    }

    async def work(conn: AsyncConnection) -> Any:
        e = await service.find_company(conn, ref=edi_company)
        c = await service.find_company(conn, ref=counterparty)
        return await edi.add_partner(conn, edi_company_id=e.id, counterparty_id=c.id, values=values, caller_id=None)

    p = _in_transaction(work)
    console.print(
        f"EDI partner {p.id}: company {p.company_id} ({p.role}) trades {p.standard} {p.version} with company "
        f"{p.counterparty_id} as {p.their_qualifier}/{p.their_id} -> {p.our_qualifier}/{p.our_id}, "
        f"{'test' if p.test else 'production'}, over {p.transport}"
    )


@edi_partners_app.command("list")
def edi_partners_list() -> None:
    """Every EDI partner profile."""
    from pohub.edi.partners import service as edi

    found = _in_transaction(edi.all_profiles)
    for p in found:
        console.print(
            f"{p.id}\tcompany {p.company_id} ({p.role}) <-> {p.counterparty_id}\t{p.standard} {p.version}\t"
            f"{p.their_qualifier}/{p.their_id} -> {p.our_qualifier}/{p.our_id}\t{p.usage}\t{p.transport}"
        )
    if not found:
        console.print("no EDI partners yet")


@edi_partners_app.command("edit")
def edi_partners_edit(
    partner_id: int = typer.Argument(..., help="The EDI partner profile's id"),
    file: Path = typer.Argument(..., help='JSON of the fields to change, as the API names them: {"TheirId": "NEWID"}'),
) -> None:
    """Change fields of a partner profile (the others stay; control numbers go on)."""
    import json

    from pohub.edi.partners import service as edi

    values = edi.profile_values(json.loads(file.read_text()))

    async def work(conn: AsyncConnection) -> Any:
        return await edi.edit_partner(conn, partner_id=partner_id, values=values, caller_id=None)

    p = _in_transaction(work)
    console.print(
        f"EDI partner {p.id}: {p.their_qualifier}/{p.their_id} -> {p.our_qualifier}/{p.our_id}, "
        f"{'test' if p.test else 'production'}, over {p.transport}"
    )


@edi_partners_app.command("guide")
def edi_partners_guide(
    partner_id: int = typer.Argument(..., help="The EDI partner profile's id"),
    file: Path = typer.Argument(..., help='A JSON guide: {"850": {"Require": ["REF*DP"], "Codes": {"PO103": ["EA"]}}}'),
) -> None:
    """Set a partner's implementation guide (an empty {} clears it)."""
    import json

    from pohub.edi.partners import service as edi

    guide = json.loads(file.read_text())

    async def work(conn: AsyncConnection) -> Any:
        return await edi.set_guide(conn, partner_id=partner_id, guide=guide, caller_id=None)

    p = _in_transaction(work)
    console.print(f"EDI partner {p.id}: guide for {', '.join(sorted(p.guide)) or 'no set'}")


if __name__ == "__main__":
    app()
