"""Background work (issue 4): the embedded worker the server runs on SQLite."""

from __future__ import annotations

from fastapi import FastAPI


async def start(app: FastAPI) -> None:
    """Start the embedded worker if this deployment needs one (none yet)."""
    return None


async def stop(app: FastAPI) -> None:
    return None
