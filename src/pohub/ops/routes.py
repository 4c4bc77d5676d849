"""GET /healthz (the process answers), GET /readyz (it can serve: 503 naming the failed check), and
GET /metrics (Prometheus text format; a token or a separate listener keeps it private)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.responses import Response

from pohub.api.http import JSON
from pohub.db.engine import Database
from pohub.ops import db_gauges, metrics, readiness

router = APIRouter(include_in_schema=False)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz")
async def healthz() -> JSON:
    return JSON({"Status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSON:
    settings = request.app.state.settings
    checks = await readiness.run(
        request.app.state.db,
        app_state=request.app.state,
        limit=settings.ready_timeout_seconds,
        heartbeat_seconds=settings.heartbeat_seconds,
    )
    failed = [c.name for c in checks if not c.ok]
    body = {
        "Status": "ready" if not failed else "not ready: " + ", ".join(failed),
        "Checks": [c.as_wire() for c in checks],
    }
    return JSON(body, status_code=503 if failed else 200)


def authorized(request: Request, token: str | None) -> bool:
    if not token:
        return True
    given = request.headers.get("authorization", "")
    return given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), token.encode())


async def metrics_text(db: Database) -> bytes:
    """The process (or multiprocess) metrics followed by the database's gauges."""
    body = metrics.process_text()
    try:
        async with db.read() as conn:
            body += await db_gauges.text(conn)
    except Exception:
        # The database being away must not hide the process figures (which show the failures).
        body += b"# database gauges unavailable: the database did not answer\n"
    return body


@router.get("/metrics")
async def metrics_route(request: Request) -> Response:
    settings = request.app.state.settings
    if settings.metrics_address:
        return JSON({"Code": "404", "Message": f"Metrics are served on {settings.metrics_address}"}, status_code=404)
    if not authorized(request, settings.metrics_token):
        return JSON(
            {"Code": "401", "Message": "Metrics need Authorization: Bearer <POHUB_METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(await metrics_text(request.app.state.db), media_type=CONTENT_TYPE)
