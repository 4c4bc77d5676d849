"""A dashboard form handed to the exchanges pipeline as the JSON a client would send: recorded as an
exchange of the dashboard channel, applied by the same handler and rules as the API's, and done as
the signed-in person (their name goes on the timeline)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from pohub.core import jsonio
from pohub.core.actor import acting_as
from pohub.core.errors import PohubError
from pohub.exchanges import inbound
from pohub.exchanges.inbound import Applied, Message
from pohub.web import forms
from pohub.web.session import Session


async def send(
    request: Request,
    session: Session,
    *,
    operation: str,
    kind: str,
    body: dict[str, Any],
    params: dict[str, Any],
    order_id: int | None = None,
) -> Applied:
    assert session.company_id is not None
    msg = Message(
        channel="dashboard",
        operation=operation,
        company_id=session.company_id,
        raw=jsonio.dumps(body),
        kind=kind,
        params=params,
        content_type="application/json",
        order_id=order_id,
        note_refusal=False,
    )
    with acting_as(session.actor):
        return await inbound.receive(request.app.state.db, msg)


def refusal(exc: PohubError) -> forms.FormErrors:
    """The hub's refusal for a form whose fields have no one-to-one wire names: its message, and
    each field error in the hub's words."""
    errors = forms.FormErrors(message=exc.message)
    errors.general = [f"{e.field}: {e.error}" for e in exc.errors if f"{e.field}: {e.error}" != exc.message]
    return errors
