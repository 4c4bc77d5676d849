"""Every endpoint of the hub as a description of one HTTP call and how to read its answer; the sync
and the async client only differ in how they send it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from pohub.client.envelope import Created, Page, read_created, read_page, unwrap
from pohub.client.errors import AnswerError, FieldIssue, wire_path
from pohub.client.models import lenient
from pohub.client.routes import V1, Routes
from pohub.core import jsonio
from pohub.documents import kinds as registry
from pohub.documents.kinds import KindSpec
from pohub.orders.status import parse_status

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def spec_of(kind: str) -> KindSpec:
    """A kind as the registry (pohub.documents.kinds) defines it; LookupError for one it lacks."""
    return registry.kind(kind)


def model_of(kind: str) -> type[BaseModel]:
    """The kind's wire model as a client reads it (the published definitions' limits)."""
    return lenient(spec_of(kind).model)


def holder_of(kind: str) -> str:
    """Where a single document sits in its GET answer, and (plural) an older search answer's list of
    them: the definition's name, ``Body.SalesOrder`` / ``Body.SalesOrders``."""
    return spec_of(kind).model.__name__


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


def date_time(value: datetime | date) -> str:
    """A search bound as the definitions' date-time: with an offset (UTC when it has none); a date
    is its midnight UTC."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def validate(model: type[M], data: Any, *, what: str = "") -> M:
    """A document of the answer as the model, or AnswerError naming every field at fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = tuple(FieldIssue(wire_path(tuple(e["loc"])), e["msg"]) for e in exc.errors())
        name = what or model.__name__
        raise AnswerError(f"the server's {name} does not fit the definitions", issues=issues) from None


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
        params["Filters.from"] = date_time(since)
    if until is not None:
        params["Filters.to"] = date_time(until)
    params.update(extra or {})
    return params


def search_page(
    kind: str, params: Mapping[str, str], *, page: int, page_size: int, path: str | None = None
) -> Call[Page]:
    """One page of ``GET /Orders`` (or Acknowledgements, Shipments, Invoices)."""
    plural = spec_of(kind).plural
    prefix = "filters." if path is not None and path.endswith("/Ready") else "Filters."
    query = {**params, f"{prefix}page": str(page), f"{prefix}pageSize": str(page_size)}
    old_plural = f"{holder_of(kind)}s"
    return Call("GET", path or f"/{plural}", lambda _s, data: read_page(data, old_plural), "search", query)


def parse_document(model: type[M], name: str) -> Callable[[int, Any], M]:
    def parse(_status: int, data: Any) -> M:
        return validate(model, unwrap(data, name))

    return parse


def get_document(kind: str, key: str | int) -> Call[Any]:
    """``GET /Orders/{key}`` and the other kinds' single reads (``Body.SalesOrder``,
    ``Body.Shipment``, ``Body.Invoice``; an acknowledgement is ``Body`` itself)."""
    return Call("GET", f"/{spec_of(kind).plural}/{_key(key)}", parse_document(model_of(kind), holder_of(kind)))


def _naming_order(
    document: BaseModel | Mapping[str, Any] | bytes, order_key: str
) -> BaseModel | Mapping[str, Any] | bytes:
    """The document with Identifier.LinkKey naming the order, for a version without a per-order route
    (stored bytes are sent as they are: the agent writes the link key into every document)."""
    if isinstance(document, bytes):
        return document
    data = dict(document.model_dump(by_alias=True, exclude_none=True) if isinstance(document, BaseModel) else document)
    identifier = dict(data.get("Identifier") or {})
    identifier.setdefault("LinkKey", order_key)
    data["Identifier"] = identifier
    return data


def names_itself(kind: str) -> bool:
    """A posted document of this kind is found by the key its answer gives, never searched for among
    an order's documents: it is an order itself (``POST /Orders``)."""
    return not spec_of(kind).belongs_to_order


def post_document(
    kind: str,
    document: BaseModel | Mapping[str, Any] | bytes,
    order_key: str | None = None,
    routes: Routes = V1,
) -> Call[Created]:
    """``POST /Acknowledgements`` or, with the order's key, the version's per-order route
    (v1 ``POST /Shipment/{key}``, v3 ``POST /Orders/{key}/Shipments``)."""
    plural = spec_of(kind).plural
    template = routes.post_for_order.get(kind) if order_key is not None else None
    if order_key is not None and template is None:
        document = _naming_order(document, order_key)
    path = template.format(key=_key(order_key)) if template and order_key is not None else f"/{plural}"
    return Call("POST", path, read_created, body=encode(document))


def set_status(key: str | int, status: int | str) -> Call[dict[str, Any]]:
    """``PUT /Orders/{key}/Status/{status}``."""

    def parse(_s: int, data: Any) -> dict[str, Any]:
        body = unwrap(data)
        return dict(body) if isinstance(body, dict) else {}

    return Call("PUT", f"/Orders/{_key(key)}/Status/{_key(status)}", parse)


def read_status(body: Any) -> int:
    """An order's status code from LBDocumentStatus: pohub's ``StatusCode``, else ``Status`` as a
    code ("200") or a name ("Acknowledged")."""
    if isinstance(body, dict):
        code = body.get("StatusCode")
        if isinstance(code, int) and not isinstance(code, bool):
            return code
        body = body.get("Status")
    status = parse_status(body) if isinstance(body, str | int) and not isinstance(body, bool) else None
    if status is None:
        issue = FieldIssue("Body.Status", f"is not an order status code or name: {body!r}")
        raise AnswerError("the server's order status cannot be read", issues=(issue,))
    return int(status)


def get_status(key: str | int) -> Call[int]:
    """``GET /Orders/{key}/Status``: the status code."""
    return Call("GET", f"/Orders/{_key(key)}/Status", lambda _s, data: read_status(unwrap(data)))


def set_status_bulk(keys: list[str], status: int | str, *, only_increase: bool = True) -> Call[dict[str, Any]]:
    """``PUT /Orders/Status``: answers the updated keys (Records) and the unchanged and refused ones.
    Status and keys are strings, as BulkStatusUpdateRequest defines them."""
    body = jsonio.dumps(
        {"Status": str(status), "OnlyIncreaseStatus": only_increase, "LogicbrokerKeys": [str(k) for k in keys]}
    )

    def parse(_s: int, data: Any) -> dict[str, Any]:
        return dict(data) if isinstance(data, dict) else {}

    return Call("PUT", "/Orders/Status", parse, "bulk", body=body)


def order_events(key: str | int, routes: Routes = V1) -> Call[list[dict[str, Any]]]:
    """The order's activity events, oldest first (v1 ``/Orders/{key}/Events``, v3 ``.../ActivityEvents``)."""

    def parse(_s: int, data: Any) -> list[dict[str, Any]]:
        body = unwrap(data)
        events = body.get("ActivityEvents") if isinstance(body, dict) else body
        return list(events or [])

    return Call("GET", routes.events.format(key=_key(key)), parse)


def order_documents(key: str | int, kind: str, routes: Routes = V1) -> Call[list[Any]] | None:
    """``GET /Orders/{key}/Shipments`` (and Invoices; Acknowledgements on v1): the order's documents.
    None where the version has no such route (search by link key instead)."""
    model, plural = model_of(kind), spec_of(kind).plural
    template = routes.order_documents.get(kind)
    if template is None:
        return None

    def parse(_s: int, data: Any) -> list[Any]:
        body = unwrap(data)
        docs = body.get(plural) if isinstance(body, dict) else body
        return [validate(model, d) for d in docs or []]

    return Call("GET", template.format(key=_key(key)), parse)


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


def ready_keys_page(*, page: int, page_size: int, routes: Routes = V1) -> Call[Page]:
    """One page of ``GET /Orders/LogicbrokerKeys/Ready``."""
    prefix = routes.ready_filter_prefix
    query = {f"{prefix}page": str(page), f"{prefix}pageSize": str(page_size)}
    return Call("GET", "/Orders/LogicbrokerKeys/Ready", lambda _s, data: read_page(data), "search", query)


def find_posted(kind: str, document: BaseModel | Mapping[str, Any] | bytes, records: list[dict[str, Any]]) -> str:
    """The key of the posted document among search records: same number (and same link key when given)."""
    data = jsonio.loads(encode(document))
    if not isinstance(data, dict):
        return ""
    number_field = spec_of(kind).number_field
    if number_field is None:
        return ""
    number = str(data.get(number_field) or "")
    for record in records:
        if number and str(record.get(number_field) or "") == number:
            return str((record.get("Identifier") or {}).get("LogicbrokerKey") or "")
    return ""


def link_key_of(document: BaseModel | Mapping[str, Any] | bytes) -> str:
    data = jsonio.loads(encode(document))
    identifier = data.get("Identifier") if isinstance(data, dict) else None
    return str((identifier or {}).get("LinkKey") or "") if isinstance(identifier, dict) else ""


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
