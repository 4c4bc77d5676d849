"""Jinja2 templates from the package, their filters, and the headers every page carries."""

from __future__ import annotations

import hashlib
import importlib.resources
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

from pohub.core import clock
from pohub.web import views
from pohub.web.session import Session, read_session

# No inline scripts or styles anywhere: every page works under a strict policy.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.aware(value).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _money(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def _percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.0f}%"


def _hours(value: float | None) -> str:
    if value is None:
        return "\u2013"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


@lru_cache(maxsize=16)
def _asset_version(name: str) -> str:
    data = importlib.resources.files("pohub.web").joinpath("static", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:10]


def static_url(name: str) -> str:
    """A static file's URL, versioned by content so browsers may cache it."""
    return f"/static/{name}?v={_asset_version(name)}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pohub.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {
        "when": _when,
        "money": _money,
        "percent": _percent,
        "hours": _hours,
        "status_label": views.status_label,
        "status_style": views.status_style,
        "urlencode_query": lambda d: urlencode(d),
    }
    env.globals |= {"static_url": static_url}
    return env


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    session: Session | None = None,
) -> HTMLResponse:
    session = session or read_session(request)
    html = (
        environment()
        .get_template(template)
        .render({"request": request, "session": session, "csrf": session.csrf if session else ""} | context)
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
