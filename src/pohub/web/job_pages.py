"""Jobs: the company's background jobs (bulk imports through the warehouse API), each with a
progress bar the page's script keeps up to date from a small JSON answer, and its failed orders.

The failed orders are the job kind's own report (for a warehouse import, the same
``failedOrders`` as ``GET /wms/jobs/{id}`` and the ``job.finished`` webhook), not a second reading
of the items.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from pohub.core.errors import NotFound
from pohub.dialects.wms.fields import warehouse_text
from pohub.jobs import registry
from pohub.jobs import repository as jobs_repo
from pohub.web import common, queries, views
from pohub.web.common import WebRoute, small_int
from pohub.web.render import page
from pohub.web.session import signed_in

router = APIRouter(include_in_schema=False, route_class=WebRoute)

# A job's page lists this many failed orders; all of them are in GET /wms/jobs/{id}.
FAILED_SHOWN = 500


# Jobs whose failures are read by people who speak the warehouse's field names.
WAREHOUSE_KINDS = frozenset({"wms.bulk_import"})


def _in_warehouse_words(entry: dict[str, Any]) -> dict[str, Any]:
    """A failed order with any hub path in its messages put in the warehouse's own field names
    (``pohub.dialects.wms.fields``), also for failures stored before the dialect said them so."""
    lines = [
        {**ln, "message": warehouse_text(str(ln.get("message") or ""))}
        for ln in entry.get("lines") or []
        if isinstance(ln, dict)
    ]
    return {**entry, "message": warehouse_text(str(entry.get("message") or "")), "lines": lines}


async def _job(conn: Any, *, company_id: int, job_id: str) -> Any:
    """One of the company's jobs; another company's answers 404, as in the warehouse API."""
    ref = common.ident(job_id)
    row = None if ref is None else await jobs_repo.get_job(conn, job_id=ref)
    if row is None or row.company_id != company_id:
        raise NotFound(f"No job {job_id!r}")
    return row


@router.get("/jobs")
async def jobs_page(request: Request) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    me = await common.company(request, session)
    number = max(small_int(request.query_params.get("page")) or 1, 1)
    async with request.app.state.db.read() as conn:
        rows, total = await queries.list_jobs(conn, company_id=session.company_id, page=number)
    jobs = [views.job(r) for r in rows]
    return page(
        request,
        "jobs.html",
        {
            "company": me,
            "jobs": jobs,
            "names": dict(me["partners"]),
            "total": total,
            "page_number": number,
            "pages": queries.page_count(total),
            "nav": "jobs",
        },
        session=session,
    )


@router.get("/jobs/{job_id}")
async def job_page(request: Request, job_id: str) -> Response:
    session = await signed_in(request)
    assert session.company_id is not None
    me = await common.company(request, session)
    async with request.app.state.db.read() as conn:
        row = await _job(conn, company_id=session.company_id, job_id=job_id)
        try:
            report = await registry.handler(row.kind).report(conn, job=row)
        except LookupError:
            report = {}
    failed: list[dict[str, Any]] = [
        _in_warehouse_words(f) if row.kind in WAREHOUSE_KINDS else f
        for f in report.get("failedOrders") or []
        if isinstance(f, dict)
    ]
    return page(
        request,
        "job.html",
        {
            "company": me,
            "job": views.job(row),
            "names": dict(me["partners"]),
            "failed_orders": failed[:FAILED_SHOWN],
            "failed_total": len(failed),
            "nav": "jobs",
        },
        session=session,
    )


@router.get("/jobs/{job_id}/progress")
async def job_progress(request: Request, job_id: str) -> Response:
    """The job's progress as JSON for the page's script: counts from the job row only, so polling
    stays cheap however many orders failed (the page lists those once the job is done)."""
    session = await signed_in(request)
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        try:
            row = await _job(conn, company_id=session.company_id, job_id=job_id)
        except NotFound as exc:
            return JSONResponse({"message": exc.message}, status_code=404)
    return JSONResponse(views.job(row).progress())
