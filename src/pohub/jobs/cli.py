"""CLI commands for background work (issue 4), registered on the main `pohub` app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add commands such as `pohub worker` to ``app`` (none yet)."""
    return None
