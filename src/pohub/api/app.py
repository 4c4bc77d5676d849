"""The ASGI application: routers under /api/v1, error handlers, OpenAPI with the documents' schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

import pohub
from pohub.api import lane, meta, v3
from pohub.api.documents import document_router
from pohub.api.exchanges import router as exchanges_router
from pohub.api.http import install_error_handlers, refuse_nul
from pohub.api.schemas import BulkStatusUpdateRequest
from pohub.api.telemetry import Hub
from pohub.changes.api import router as changes_router
from pohub.config import Settings, get_settings
from pohub.db.engine import Database
from pohub.dialects.kojo.api import router as kojo_router
from pohub.dialects.spectrum.api import router as spectrum_router
from pohub.dialects.wms.api import router as wms_router
from pohub.documents import examples, kinds
from pohub.edi.api import router as edi_router
from pohub.edi.partners.api import router as edi_partners_router
from pohub.inventory.api import router as inventory_router
from pohub.jobs import worker
from pohub.ops import setup as ops_setup
from pohub.ops.requests import RequestMiddleware
from pohub.orders.api import router as orders_router
from pohub.partners.api import router as partners_router
from pohub.partners.service import KeyCache
from pohub.returns.api import router as returns_router
from pohub.scorecard.api import router as scorecard_router
from pohub.web.routes import router as web_router
from pohub.webhooks import service as webhooks_service
from pohub.webhooks.api import router as webhooks_router

API_PREFIX = "/api/v1"
# The platform serves the same operations under /api/v1, /api/v2 and /api/v3; pohub serves v1 (as
# the seeds call it, and as pohub's own OpenAPI document describes it) and v3 (the published v3
# document's paths). Both answer in the v3 definitions' shapes (api/answers.py).
API_PREFIXES = (API_PREFIX, "/api/v3")
DESCRIPTION = """A purchase-order exchange compatible with Logicbroker's commerce API.

Authenticate with your API key as the `subscription-key` query parameter or an
`Authorization: Bearer` header. Documents use the platform's field names (`PartnerPO`, `OrderLines`,
`AckLines`, `ShipmentLines`, `InvoiceLines`, `ItemIdentifier.SupplierSKU`, ...). Errors answer
`{"Code", "Message", "Errors": [{"Field", "Error"}]}`.
"""


def create_app(settings: Settings | None = None, db: Database | None = None, *, fast_lane: bool = True) -> FastAPI:
    """The app; ``fast_lane=False`` leaves every request to FastAPI's router (the lane's parity tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await webhooks_service.reseal_all(app.state.db, server_key=settings.secret_key)
        lane.warm(app)
        await worker.start(app)
        try:
            async with ops_setup.running(app):
                yield
        finally:
            await worker.stop(app)
            await app.state.db.dispose()

    # /docs is served with Swagger UI's files from this server: no CDN (installs may be offline).
    # Hub: FastAPI with its telemetry question asked cheaply (api/telemetry.py).
    app = Hub(
        title="pohub",
        version=pohub.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="pohub API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    app.state.settings = settings
    app.state.db = db or Database(
        settings.database_url, pool_size=settings.db_pool_size, group_commit=settings.sqlite_group_commit
    )
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    install_error_handlers(app)
    ops_setup.install(app)
    for router in (
        changes_router,
        returns_router,  # before the supplier documents' routes: /Orders/{key}/Returns is the buyer's
        orders_router,
        *(document_router(spec) for spec in kinds.SUPPLIER_KINDS),
        partners_router,
        meta.router,
        v3.router,
        scorecard_router,
        webhooks_router,
        exchanges_router,
        inventory_router,
        edi_partners_router,
    ):
        for prefix in API_PREFIXES:
            # /api/v3 is left out of pohub's own OpenAPI document: the published one describes it.
            app.include_router(router, prefix=prefix, include_in_schema=prefix == API_PREFIX)
    app.include_router(kojo_router, prefix="/kojo")
    app.include_router(spectrum_router, prefix="/spectrum")
    app.include_router(wms_router, prefix="/wms")
    app.include_router(edi_router)
    app.include_router(web_router)
    app.state.fast_lane = None
    if fast_lane:
        lane.install(app, API_PREFIXES)
    # Outermost, outside even the 500 handler, so every answer gets its request id and access line.
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: _outermost(app, build())  # type: ignore[method-assign]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        models: list[type[BaseModel]] = [*(k.model for k in kinds.KINDS.values()), BulkStatusUpdateRequest]
        _, defs = models_json_schema(
            [(m, "validation") for m in models],
            ref_template="#/components/schemas/{model}",
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.get("$defs", {}))
        # What the hub itself requires beyond the platform's published schema.
        for spec in kinds.KINDS.values():
            component = components[spec.model.__name__]
            component["required"] = sorted(set(component.get("required", [])) | set(spec.required))
        examples.attach(schema, API_PREFIX)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _outermost(app: FastAPI, stack: ASGIApp) -> ASGIApp:
    """The request middleware around FastAPI's built stack, refusing a NUL in the URL first and
    sending a hot route's request down the lane's shorter stack."""
    fast: lane.FastLane | None = app.state.fast_lane
    return RequestMiddleware(stack, pick=refuse_nul if fast is None else fast.front(stack, refuse_nul))
