"""What every dashboard page shares: the route class that answers the dashboard's exceptions with
pages, who is signed in, and reading ids and numbers from the URL."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from pohub.core.errors import PohubError
from pohub.core.ids import is_ascii_int
from pohub.partners import repository as partners_repo
from pohub.users.roles import Permission
from pohub.web.render import page
from pohub.web.session import CsrfFailed, NotAllowed, Session, SignInRequired


class WebRoute(APIRoute):
    """Answers the dashboard's own exceptions with pages instead of the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/signin?{urlencode({'next': target})}", status_code=303)
            except CsrfFailed:
                response = page(
                    request,
                    "error.html",
                    {
                        "title": "Form expired",
                        "text": "The form was out of date. Go back, reload the page and try again.",
                    },
                    status_code=403,
                )
            except NotAllowed as exc:
                response = page(request, "error.html", {"title": "Not allowed", "text": exc.message}, status_code=403)
            except PohubError as exc:
                response = page(
                    request,
                    "error.html",
                    {"title": "Not found" if exc.status_code == 404 else "Refused", "text": exc.message},
                    status_code=exc.status_code,
                )
            if not request.url.path.startswith("/static/"):
                response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route


async def company(request: Request, session: Session) -> dict[str, Any]:
    """Who is signed in: name, and whether it supplies anyone (the supplier's view puts 150 first)."""
    assert session.company_id is not None
    async with request.app.state.db.read() as conn:
        me = await partners_repo.company_by_id(conn, session.company_id)
        links = await partners_repo.partners_of(conn, session.company_id)
    return {
        "user": session.user,
        "may_act": session.may(Permission.ACT),
        "may_manage": session.may(Permission.MANAGE),
        "id": session.company_id,
        "name": me.name if me else f"Company {session.company_id}",
        "supplier": any(link.supplier_id == session.company_id for link in links),
        "partners": [(link.partner_id, link.partner_name) for link in links],
    }


def small_int(value: str | None) -> int | None:
    """A whole number from the URL or a form, or None for anything else (junk is ignored, not an error)."""
    value = (value or "").strip()
    return int(value) if is_ascii_int(value) and len(value) < 10 else None


def ident(value: str) -> int | None:
    """A database id from the path: ASCII digits that fit a 64-bit integer."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
