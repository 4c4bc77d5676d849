"""Every endpoint of the hub as a description of one HTTP call and how to read its answer; the sync
and the async client only differ in how they send it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from pohub.client.envelope import Created, Page, read_created, read_page, unwrap
from pohub.core import jsonio
from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Document kinds: the model, the plural path, the singular path (POST for one order), the name inside Body.
KINDS: dict[str, tuple[type[BaseModel], str, str, str]] = {
    "order": (SalesOrder, "Orders", "Order", "SalesOrder"),
    "acknowledgement": (Acknowledgement, "Acknowledgements", "Acknowledgement", "Acknowledgement"),
    "shipment": (Shipment, "Shipments", "Shipment", "Shipment"),
    "invoice": (Invoice, "Invoices", "Invoice", "Invoice"),
}


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request: ``kind`` picks the rate limit (search, bulk or other)."""

    method: str
    path: str
    parse: Callable[[int, Any], T]
    kind: str = "other"
    params: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


def encode(document: BaseModel | Mapping[str, Any] | bytes) -> bytes:
    """A document as the platform's JSON: aliases, no nulls, money as exact JSON numbers."""
    if isinstance(document, bytes):
        return document
    if isinstance(document, BaseModel):
        # Python mode keeps Decimal; jsonio writes it as a number with its exact digits.
        return jsonio.dumps(document.model_dump(by_alias=True, exclude_none=True))
    return jsonio.dumps(dict(document))


def _key(key: str | int) -> str:
    return quote(str(key), safe="")


def search_params(
    *,
    status: int | str | None = None,
    partner_po: str | None = None,
    link_key: str | None = None,
    source_key: str | None = None,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The platform's ``Filters.*`` query parameters."""
    params: dict[str, str] = {}
    for name, value in (
        ("status", status),
        ("partnerPO", partner_po),
        ("linkkey", link_key),
        ("sourceKey", source_key),
    ):
        if value is not None:
            params[f"Filters.{name}"] = str(value)
    if since is not None:
        params["Filters.from"] = since.isoformat()
    if until is not None:
        params["Filters.to"] = until.isoformat()
    params.update(extra or {})
    return params


def search_page(
    kind: str, params: Mapping[str, str], *, page: int, page_size: int, path: str | None = None
) -> Call[Page]:
    """One page of ``GET /Orders`` (or Acknowledgements, Shipments, Invoices)."""
    plural = KINDS[kind][1]
    query = {**params, "Filters.page": str(page), "Filters.pageSize": str(page_size)}
    old_plural = "SalesOrders" if kind == "order" else plural
    return Call("GET", path or f"/{plural}", lambda _s, data: read_page(data, old_plural), "search", query)


def parse_document(model: type[M], name: str) -> Callable[[int, Any], M]:
    def parse(_status: int, data: Any) -> M:
        return model.model_validate(unwrap(data, name))

    return parse


def get_document(kind: str, key: str | int) -> Call[Any]:
    """``GET /Orders/{key}`` and the other kinds' single reads."""
    model, plural, _, name = KINDS[kind]
    return Call("GET", f"/{plural}/{_key(key)}", parse_document(model, name))


def post_document(
    kind: str, document: BaseModel | Mapping[str, Any] | bytes, order_key: str | None = None
) -> Call[Created]:
    """``POST /Acknowledgements`` or, with the order's key, ``POST /Acknowledgement/{key}``."""
    _, plural, singular, _ = KINDS[kind]
    path = f"/{singular}/{_key(order_key)}" if order_key is not None else f"/{plural}"
    return Call("POST", path, read_created, body=encode(document))


def set_status(key: str | int, status: int | str) -> Call[dict[str, Any]]:
    """``PUT /Orders/{key}/Status/{status}``."""

    def parse(_s: int, data: Any) -> dict[str, Any]:
        body = unwrap(data)
        return dict(body) if isinstance(body, dict) else {}

    return Call("PUT", f"/Orders/{_key(key)}/Status/{_key(status)}", parse)


def get_status(key: str | int) -> Call[int]:
    """``GET /Orders/{key}/Status``: the status code."""

    def parse(_s: int, data: Any) -> int:
        body = unwrap(data)
        return int(body["StatusCode"] if isinstance(body, dict) else body)

    return Call("GET", f"/Orders/{_key(key)}/Status", parse)


def set_status_bulk(keys: list[str], status: int | str, *, only_increase: bool = True) -> Call[dict[str, Any]]:
    """``PUT /Orders/Status``: answers the updated keys (Records) and the unchanged and refused ones."""
    body = jsonio.dumps({"Status": status, "OnlyIncreaseStatus": only_increase, "LogicbrokerKeys": keys})

    def parse(_s: int, data: Any) -> dict[str, Any]:
        return dict(data) if isinstance(data, dict) else {}

    return Call("PUT", "/Orders/Status", parse, "bulk", body=body)


def order_events(key: str | int) -> Call[list[dict[str, Any]]]:
    """``GET /Orders/{key}/Events``: the order's activity events, oldest first."""

    def parse(_s: int, data: Any) -> list[dict[str, Any]]:
        body = unwrap(data)
        events = body.get("ActivityEvents") if isinstance(body, dict) else body
        return list(events or [])

    return Call("GET", f"/Orders/{_key(key)}/Events", parse)


def order_documents(key: str | int, kind: str) -> Call[list[Any]]:
    """``GET /Orders/{key}/Shipments`` (and Acknowledgements, Invoices): the order's documents."""
    model, plural, _, _ = KINDS[kind]

    def parse(_s: int, data: Any) -> list[Any]:
        body = unwrap(data)
        docs = body.get(plural) if isinstance(body, dict) else body
        return [model.model_validate(d) for d in docs or []]

    return Call("GET", f"/Orders/{_key(key)}/{plural}", parse)


def partners() -> Call[dict[str, Any]]:
    """``GET /Partners``: the caller's own CompanyId and CompanyName, and the companies it trades with."""

    def parse(_s: int, data: Any) -> dict[str, Any]:
        body = unwrap(data)
        return dict(body) if isinstance(body, dict) else {}

    return Call("GET", "/Partners", parse)


def inventory_csv(partner_id: int | str) -> Call[str]:
    """``GET /Inventory/{partnerId}``: the stock the caller may see under that partner, as CSV text (asked
    for as JSON, the platform's ``{Code, Message, Body}`` with the CSV as Body)."""

    def parse(_s: int, data: Any) -> str:
        body = data.get("Body") if isinstance(data, dict) else None
        return body if isinstance(body, str) else ""

    return Call("GET", f"/Inventory/{_key(partner_id)}", parse)


def ready_keys_page(*, page: int, page_size: int) -> Call[Page]:
    """One page of ``GET /Orders/LogicbrokerKeys/Ready``."""
    query = {"Filters.page": str(page), "Filters.pageSize": str(page_size)}
    return Call("GET", "/Orders/LogicbrokerKeys/Ready", lambda _s, data: read_page(data), "search", query)


def next_page(page: Page, *, requested: int, first_page: int) -> int | None:
    """The page to ask for next, or None when this was the last. Servers disagree on whether pages
    start at 0 or 1, so the answer's own CurrentPage is trusted over the number asked for."""
    if not page.records:
        return None
    current = page.current_page if page.current_page is not None else requested
    if page.total_pages is None:
        return requested + 1
    seen = current - first_page + 1
    return requested + 1 if seen < page.total_pages else None
