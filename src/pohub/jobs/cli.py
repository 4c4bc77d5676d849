"""CLI commands for background work, registered on the main `pohub` app."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported when the command runs: `pohub --help` should not load the server
    from pohub.jobs.worker import Worker


def _stop_on_signals(w: Worker, main: asyncio.Task[None] | None) -> None:
    """SIGTERM or SIGINT once: finish the batch in hand, give back the job, exit. Twice: exit now (the
    uncommitted batch rolls back and the job's lease runs out, so another worker redoes only that batch).

    One handler per signal: asyncio keeps only the last one added for a signal.
    """
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig)
        if len(received) == 1:
            typer.echo(f"{sig.name}: finishing the current batch, then exiting ({sig.name} again to exit now)")
            w.stop()
        elif main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)


def register(app: typer.Typer) -> None:
    """Add `pohub worker`."""

    @app.command()
    def worker(
        poll: float = typer.Option(None, help="Seconds between looks for new work (POHUB_WORKER_POLL_SECONDS)"),
    ) -> None:
        """Run a background worker: webhook deliveries and jobs (start any number on PostgreSQL)."""
        import pohub.dialects.wms.importer  # noqa: F401  (a CLI edge: loads the job kinds it defines)
        from pohub.config import get_settings
        from pohub.db.engine import Database
        from pohub.db.migrate import DatabaseMissing, upgrade
        from pohub.jobs.worker import Worker
        from pohub.ops import logs
        from pohub.webhooks.service import reseal_all

        settings = get_settings()
        logs.configure(log_format=settings.log_format, level=settings.log_level)
        try:
            upgrade(settings.database_url)
        except DatabaseMissing as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

        async def main() -> None:
            db = Database(settings.database_url, pool_size=4, group_commit=settings.sqlite_group_commit)
            await reseal_all(db, server_key=settings.secret_key)
            w = Worker(db, settings)
            if poll is not None:
                w.poll = poll
            if db.sqlite:
                typer.echo("SQLite: run only this worker, with no server running (the server embeds its own)")
            _stop_on_signals(w, asyncio.current_task())
            typer.echo(f"worker {w.id} running")
            try:
                await w.run()
            finally:
                await db.dispose()

        try:
            asyncio.run(main())
        except asyncio.CancelledError:  # a second signal: stopped without finishing the batch
            raise typer.Exit(1) from None
