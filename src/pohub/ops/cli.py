"""`pohub backup`, `pohub restore`, `pohub doctor`, and what `pohub serve` needs from operations
(log format, multiprocess metrics)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pohub.config import Settings, get_settings
from pohub.ops import backup as backups
from pohub.ops import doctor as doctor_checks
from pohub.ops import logs, metrics

console = Console()
_STYLE = {"ok": "green", "warning": "yellow", "error": "red"}


def serve_options(settings: Settings, workers: int) -> dict[str, Any]:
    """uvicorn.run keyword arguments for logging; with several workers, a fresh directory for the
    metrics they share (set before uvicorn starts them, so each one's prometheus-client sees it)."""
    if workers > 1 and not os.environ.get(metrics.MULTIPROC_ENV):
        directory = Path(tempfile.gettempdir()) / f"pohub-metrics-{os.getpid()}"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        os.environ[metrics.MULTIPROC_ENV] = str(directory)
    logs.configure(log_format=settings.log_format, level=settings.log_level)
    return {"log_config": logs.uvicorn_log_config(log_format=settings.log_format, level=settings.log_level)}


def register(app: typer.Typer) -> None:
    @app.command()
    def backup(file: Path) -> None:
        """Back up the database to FILE (safe while servers run)."""
        try:
            done = backups.backup(get_settings().database_url, file)
        except backups.BackupError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        console.print(f"{done.detail}: {done.path} ({done.bytes:,} bytes)")

    @app.command()
    def restore(
        file: Path,
        force: bool = typer.Option(False, "--force", help="Overwrite an existing database (stop every server first)"),
    ) -> None:
        """Restore FILE (from `pohub backup`) into the configured database, which should be new."""
        try:
            done = backups.restore(get_settings().database_url, file, force=force)
        except backups.BackupError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        console.print(f"{done.detail} from {file}")

    @app.command()
    def doctor() -> None:
        """Check the configuration and the deployment it points at; exit 1 on errors."""
        findings = asyncio.run(doctor_checks.run(get_settings()))
        for f in findings:
            # One line each (greppable); markup off so a message's brackets print as they are.
            console.print(f"[{_STYLE[f.level]}]{f.level:<7}[/] {f.check}: ", end="")
            console.print(f.message, markup=False, highlight=False, soft_wrap=True)
        errors = sum(f.level == "error" for f in findings)
        warnings = sum(f.level == "warning" for f in findings)
        console.print(f"{errors} error(s), {warnings} warning(s)")
        if errors:
            raise typer.Exit(1)
