"""CLI commands for background work, registered on the main `pohub` app."""

from __future__ import annotations

import asyncio
import signal

import typer


def register(app: typer.Typer) -> None:
    """Add `pohub worker`."""

    @app.command()
    def worker(
        poll: float = typer.Option(None, help="Seconds between looks for new work (POHUB_WORKER_POLL_SECONDS)"),
    ) -> None:
        """Run a background worker: webhook deliveries and jobs (start any number on PostgreSQL)."""
        from pohub.config import get_settings
        from pohub.db.engine import Database
        from pohub.db.migrate import upgrade
        from pohub.jobs.worker import Worker
        from pohub.ops import logs

        settings = get_settings()
        logs.configure(log_format=settings.log_format, level=settings.log_level)
        upgrade(settings.database_url)

        async def main() -> None:
            db = Database(settings.database_url, pool_size=4)
            w = Worker(db, settings)
            if poll is not None:
                w.poll = poll
            if db.sqlite:
                typer.echo("SQLite: run only this worker, with no server running (the server embeds its own)")
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, w.stopping.set)
                loop.add_signal_handler(sig, w.wake)
            typer.echo(f"worker {w.id} running")
            try:
                await w.run()
            finally:
                await db.dispose()

        asyncio.run(main())
