"""An exchange on the wire (GET /api/v1/Exchanges) and on the Messages page."""

from __future__ import annotations

import base64
from typing import Any

from pohub.core import jsonio
from pohub.core.errors import PohubError


def error_of(row: Any) -> dict[str, Any] | None:
    if not row.error:
        return None
    try:
        value = jsonio.loads(row.error)
    except PohubError:
        return {"Message": str(row.error)}
    return value if isinstance(value, dict) else {"Message": str(value)}


def raw_text(raw: bytes | None) -> tuple[str | None, str]:
    """The payload as text when it is UTF-8 (nearly always), else base64; and which it is."""
    if raw is None:
        return None, "none"
    data = bytes(raw)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"


def _key(value: int | None) -> str | None:
    return None if value is None else str(value)


def summary(row: Any) -> dict[str, Any]:
    return {
        "Id": row.id,
        "Direction": row.direction,
        "Channel": row.channel,
        "Operation": row.operation,
        "Kind": row.kind,
        "CompanyId": row.company_id,
        "PartnerId": row.partner_id,
        "State": row.state,
        "ContentType": row.content_type,
        "StatusCode": row.status_code,
        "Error": error_of(row),
        "TraceId": row.trace_id,
        "DocumentKey": _key(row.document_id),
        "OrderKey": _key(row.order_id),
        "JobId": _key(row.job_id),
        "ParentId": row.parent_id,
        "Attempts": row.attempts,
        "PrunedAt": row.pruned_at.isoformat() if row.pruned_at else None,
        "CreatedAt": row.created_at.isoformat(),
        "UpdatedAt": row.updated_at.isoformat(),
    }


def attempt(row: Any) -> dict[str, Any]:
    return {
        "AttemptedAt": row.attempted_at.isoformat(),
        "StatusCode": row.status_code,
        "DurationMs": row.duration_ms,
        "Error": row.error,
        "ResponseBody": row.response_body,
    }


def full(row: Any, children: list[Any] | None = None, attempts: list[Any] | None = None) -> dict[str, Any]:
    text, encoding = raw_text(row.raw)
    out = summary(row) | {"Raw": text, "RawEncoding": encoding, "Size": len(row.raw or b"")}
    out["Params"] = jsonio.loads(row.params) if row.params else {}
    out["Children"] = [summary(c) for c in children or []]
    out["AttemptLog"] = [attempt(a) for a in attempts or []]
    return out
