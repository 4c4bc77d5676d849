"""Changes on the wire: the body as received, each line's state (pending, applied, rejected) and the
supplier's reason, and the change's status name."""

from __future__ import annotations

from typing import Any

from pohub.changes.status import ChangeStatus
from pohub.documents.render import render


def render_change(row: Any, lines: list[Any]) -> dict[str, Any]:
    body = render(row)
    body["Status"] = ChangeStatus(row.status).label
    body["Lines"] = [
        {"LineNumber": ln.line_number, "Action": ln.action, "State": ln.state, "Reason": ln.reason} for ln in lines
    ]
    return body
