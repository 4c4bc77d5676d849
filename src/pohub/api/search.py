"""The platform's search filters, read however a client spells them: ``Filters.status``,
``filters.status``, ``Filter.status`` (seed 000) or plain ``status``, in any letter case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

from pohub.core.errors import FieldError, Unprocessable
from pohub.core.ids import is_ascii_int
from pohub.documents.repository import Search
from pohub.documents.types import _parse_datetime
from pohub.orders.status import parse_status

MAX_PAGE_SIZE = 1000
_NAMES = {
    "status": "status",
    "partnerpo": "partnerPO",
    "sourcekey": "sourceKey",
    "linkkey": "linkkey",
    "from": "from",
    "to": "to",
    "sendercompanyid": "senderCompanyId",
    "receivercompanyid": "receiverCompanyId",
    "page": "page",
    "pagesize": "pageSize",
}

# For the OpenAPI document: what the routes accept (any spelling of the prefix works).
SEARCH_PARAMETERS: list[dict[str, Any]] = [
    {"name": f"Filters.{name}", "in": "query", "required": False, "schema": schema, "description": text}
    for name, schema, text in [
        (
            "status",
            {"type": "string"},
            "Status code or name, e.g. 150 or 'Ready to Acknowledge'; several comma-separated",
        ),
        ("partnerPO", {"type": "string"}, "The buyer's PO number"),
        ("sourceKey", {"type": "string"}, "Identifier.SourceKey"),
        ("linkkey", {"type": "string"}, "Identifier.LinkKey (for documents: the order's key)"),
        ("from", {"type": "string", "format": "date-time"}, "DocumentDate on or after"),
        ("to", {"type": "string", "format": "date-time"}, "DocumentDate on or before"),
        ("senderCompanyId", {"type": "integer"}, "Sending company"),
        ("receiverCompanyId", {"type": "integer"}, "Receiving company"),
        ("page", {"type": "integer", "minimum": 0}, "1-based page (0 means 1)"),
        (
            "pageSize",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "Records per page (default 100)",
        ),
    ]
]


def _normalised(request: Request) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for raw_name, value in request.query_params.multi_items():
        name = raw_name.lower()
        for prefix in ("filters.", "filter."):
            if name.startswith(prefix):
                name = name[len(prefix) :]
        if name in _NAMES:
            out[name] = (raw_name, value)
    return out


def _int(raw_name: str, value: str, *, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise Unprocessable(
            f"{raw_name} must be an integer", [FieldError(raw_name, f"must be an integer, got {value!r}")]
        ) from None
    if not low <= number <= high:
        raise Unprocessable(
            f"{raw_name} must be between {low} and {high}",
            [FieldError(raw_name, f"must be between {low} and {high}, got {number}")],
        )
    return number


def _date(raw_name: str, value: str) -> datetime:
    try:
        result: datetime = _parse_datetime(value)
    except ValueError as exc:
        raise Unprocessable(f"{raw_name} is not a date", [FieldError(raw_name, str(exc))]) from None
    return result


def parse_search(request: Request, *, kind: str, company_id: int, statuses: tuple[int, ...] = ()) -> Search:
    params = _normalised(request)
    q = Search(kind=kind, company_id=company_id, statuses=statuses)
    if "status" in params:
        raw_name, value = params["status"]
        codes = []
        for part in value.split(","):
            if not part.strip():
                continue
            status = parse_status(part) if kind == "order" else None
            if status is None and is_ascii_int(part.strip(), signed=True):
                codes.append(int(part.strip()))
            elif status is None:
                raise Unprocessable(
                    f"{raw_name}: no status {part.strip()!r}",
                    [
                        FieldError(
                            raw_name,
                            f"{part.strip()!r} is not a status code or name (see GET /api/v1/Statuses)",
                        )
                    ],
                )
            else:
                codes.append(int(status))
        if codes:
            q.statuses = tuple(codes)
    for name, attr in (("partnerpo", "partner_po"), ("sourcekey", "source_key"), ("linkkey", "link_key")):
        if name in params and params[name][1] != "":
            setattr(q, attr, params[name][1])
    if "from" in params and params["from"][1]:
        q.date_from = _date(*params["from"])
    if "to" in params and params["to"][1]:
        q.date_to = _date(*params["to"])
    if "sendercompanyid" in params:
        q.sender_id = _int(*params["sendercompanyid"], low=0, high=2**31 - 1)
    if "receivercompanyid" in params:
        q.receiver_id = _int(*params["receivercompanyid"], low=0, high=2**31 - 1)
    if "page" in params:
        q.page = max(1, _int(*params["page"], low=0, high=10_000_000))
    if "pagesize" in params:
        q.page_size = _int(*params["pagesize"], low=1, high=MAX_PAGE_SIZE)
    return q


_JSON_TYPE = (b"content-type", b"application/json")


def json_ok(body: bytes) -> Response:
    """``Response(body, media_type="application/json")``, a 200 of JSON already encoded, with the
    same attributes and headers in the same order, set here rather than by ``__init__``'s
    ``render`` and ``init_headers`` (two Python calls and a header scan on every GET one PO;
    ``tests/api/test_envelope.py`` compares the two)."""
    response = Response.__new__(Response)
    response.status_code = 200
    response.media_type = "application/json"
    response.background = None
    response.body = body
    response.raw_headers = [(b"content-length", b"%d" % len(body)), _JSON_TYPE]
    return response


def page_of_parts(parts: list[bytes], *, total: int, page_number: int, page_size: int) -> Response:
    """api.http.page's envelope, byte for byte, around records already written as JSON text, given
    as pieces of UTF-8 (documents.pages.page_parts: joined, the records joined by commas), joined once."""
    pages = (total + page_size - 1) // page_size if page_size else 0
    tail = f'],"TotalPages":{pages},"CurrentPage":{page_number},"TotalRecords":{total}}}'.encode()
    return Response(b"".join([b'{"Records":[', *parts, tail]), media_type="application/json")
