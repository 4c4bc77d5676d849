"""The shapes answers come in: bare documents, ``{"Code", "Message", "Body": {...}}`` wrappers
(``Body.SalesOrder``, ``Body.Shipment``, or the document as ``Body`` itself), and search pages
(``{Records, TotalPages, CurrentPage, TotalRecords}``, or the older ``Body.SalesOrders`` + ``TotalPages``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def unwrap(data: Any, name: str | None = None) -> Any:
    """The document inside an answer: ``Body.<name>``, ``Body``, ``<name>``, or the answer itself."""
    body = data
    if isinstance(body, dict) and isinstance(body.get("Body"), dict | list):
        body = body["Body"]
    if name and isinstance(body, dict) and isinstance(body.get(name), dict):
        body = body[name]
    return body


@dataclass(frozen=True)
class Page:
    """One page of a search."""

    records: list[Any]
    current_page: int | None
    total_pages: int | None
    total_records: int | None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def read_page(data: Any, plural: str | None = None) -> Page:
    """A search answer in any of the shapes above."""
    if isinstance(data, list):
        return Page(data, None, None, len(data))
    if not isinstance(data, dict):
        return Page([], None, None, None)
    outer = data
    body = data.get("Body") if isinstance(data.get("Body"), dict) else None
    records: Any = None
    for holder in (outer, body):
        if holder is None:
            continue
        for name in ("Records", plural):
            if name and isinstance(holder.get(name), list):
                records = holder[name]
                break
        if records is not None:
            break
    if records is None and isinstance(data.get("Body"), list):
        records = data["Body"]

    def figure(name: str) -> int | None:
        value = outer.get(name)
        if value is None and body is not None:
            value = body.get(name)
        return _int_or_none(value)

    return Page(list(records or []), figure("CurrentPage"), figure("TotalPages"), figure("TotalRecords"))


@dataclass(frozen=True)
class Created:
    """The answer to a posted document: its key, the order's status after it, and whether the server
    had it already (same number, same body: 200 instead of 201)."""

    key: str
    order_status: int | None
    duplicate: bool
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "LogicbrokerKey": self.key,
            "OrderStatusCode": self.order_status,
            "Duplicate": self.duplicate,
            "Message": self.message,
        }


def read_created(status_code: int, data: Any) -> Created:
    """``{Code, Message, Body: {LogicbrokerKey, OrderStatusCode}}``, or a bare ``{LogicbrokerKey}``."""
    body = unwrap(data)
    key = ""
    status = None
    if isinstance(body, dict):
        key = str(body.get("LogicbrokerKey") or (body.get("Identifier") or {}).get("LogicbrokerKey") or "")
        status = _int_or_none(body.get("OrderStatusCode") if "OrderStatusCode" in body else body.get("StatusCode"))
    message = str(data.get("Message") or "") if isinstance(data, dict) else ""
    return Created(key, status, status_code == 200, message)
