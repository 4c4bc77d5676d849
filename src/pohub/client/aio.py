"""The asyncio client: the agent keeps several requests in flight where that pays (reading and
posting many POs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from pohub.client import calls
from pohub.client.base import (
    ClientOptions,
    Stats,
    api_root,
    client_kwargs,
    describe_transport_error,
    judge,
    judge_success,
    request_headers,
    request_params,
)
from pohub.client.calls import Call
from pohub.client.envelope import Created, Page
from pohub.client.errors import UnavailableError
from pohub.client.keepalive import KeepAliveTransport
from pohub.client.lean import DirectSend, RequestUrls, lean_cookies, sets_cookie
from pohub.client.models import SalesOrderIn
from pohub.client.routes import routes_for
from pohub.client.throttle import SYSTEM_CLOCK, Clock, Throttle
from pohub.documents.kinds import ACKNOWLEDGEMENT, INVOICE, ORDER, SHIPMENT
from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment

T = TypeVar("T")
Document = BaseModel | Mapping[str, Any] | bytes


class AsyncClient:
    """A Logicbroker-compatible API (pohub's hub or the commercial one), throttled and retried."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.options = options
        self.stats = Stats()
        self.clock = clock  # rate limits and retry waits: a test can give its own
        self.throttle = Throttle(options.limits, clock.now)
        # v1 routes as the seeds call them, or v3 as the published document defines them.
        self.routes = routes_for(api_root(options.base_url))
        if transport is None and httpx.URL(options.base_url).scheme == "http":
            # A plain-HTTP hub (local, a benchmark): the lean keep-alive pool; proxies from the
            # environment still apply, as httpx mounts them over the default transport.
            transport = KeepAliveTransport(timeout=options.timeout)
        self._http = httpx.AsyncClient(**client_kwargs(options), transport=transport)
        lean_cookies(self._http)
        self._urls = RequestUrls(self._http.base_url)
        self._direct = DirectSend(self._http, transport) if isinstance(transport, KeepAliveTransport) else None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object | type[BaseException] | TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call[T]) -> T:
        """Send one call: wait for its rate limit, retry what may succeed later, raise the server's no."""
        policy = self.options.retry
        attempt = 0
        while True:
            attempt += 1
            wait = self.throttle.reserve(call.kind)
            if wait > 0:
                self.stats.throttled_seconds += wait
                await self.clock.asleep(wait)
            self.stats.started()
            params = request_params(self.options, call)
            headers = request_headers(call)
            direct = self._direct
            try:
                target = self._urls.target(call.path, params) if direct is not None and direct.usable() else None
                if direct is not None and target is not None:
                    answer = await direct.send(call.method, target, call.body, headers)
                    if 200 <= answer.status_code < 300 and not sets_cookie(answer):
                        self.stats.finished()
                        return judge_success(call, answer.status_code, answer.content)  # type: ignore[no-any-return]
                    url = self._urls.url(call.path, params)
                    response = direct.response(call.method, url, call.body, headers, answer)
                else:
                    url = self._urls.url(call.path, params)
                    response = await self._http.request(call.method, url, content=call.body, headers=headers)
            except httpx.TransportError as exc:
                self.stats.finished()
                if attempt >= policy.attempts:
                    raise UnavailableError(
                        describe_transport_error(exc, self.options.api_key), call.method, call.path
                    ) from None
                self.stats.retries += 1
                await self.clock.asleep(policy.delay(attempt))
                continue
            self.stats.finished()
            outcome = judge(call, response)
            if outcome.error is None:
                return outcome.value  # type: ignore[no-any-return]
            if not outcome.retry or attempt >= policy.attempts:
                raise outcome.error
            if outcome.retry_after is not None and outcome.retry_after > policy.max_retry_after:
                raise outcome.error
            self.stats.retries += 1
            await self.clock.asleep(policy.delay(attempt, outcome.retry_after))

    async def pages(self, kind: str, params: Mapping[str, str], *, path: str | None = None) -> AsyncIterator[Page]:
        """Every page of a search, until TotalPages."""
        page_number = self.options.first_page
        answered: set[int] = set()
        while True:
            call = calls.search_page(kind, params, page=page_number, page_size=self.options.page_size, path=path)
            page = await self.send(call)
            yield page
            following = calls.next_page(page, requested=page_number, first_page=self.options.first_page)
            # A server whose CurrentPage does not move on would be asked forever: stop there.
            if following is None or page.current_page in answered:
                return
            if page.current_page is not None:
                answered.add(page.current_page)
            page_number = following

    async def records(
        self, kind: str, params: Mapping[str, str], *, path: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record of a search, as the server sent it."""
        async for page in self.pages(kind, params, path=path):
            for record in page.records:
                yield record

    async def search_orders(
        self,
        *,
        status: int | str | None = None,
        partner_po: str | None = None,
        since: datetime | date | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> AsyncIterator[SalesOrder]:
        """``GET /Orders`` through every page."""
        params = calls.search_params(status=status, partner_po=partner_po, since=since, extra=extra)
        async for record in self.records(ORDER.name, params):
            yield calls.validate(SalesOrderIn, record)

    async def ready_orders(self) -> AsyncIterator[SalesOrder]:
        """``GET /Orders/Ready``: orders still to pick up."""
        async for record in self.records(ORDER.name, {}, path="/Orders/Ready"):
            yield calls.validate(SalesOrderIn, record)

    async def ready_order_keys(self) -> list[str]:
        """``GET /Orders/LogicbrokerKeys/Ready``."""
        out: list[str] = []
        page_number = self.options.first_page
        answered: set[int] = set()
        while True:
            page = await self.send(
                calls.ready_keys_page(page=page_number, page_size=self.options.page_size, routes=self.routes)
            )
            out.extend(str(k) for k in page.records)
            following = calls.next_page(page, requested=page_number, first_page=self.options.first_page)
            if following is None or page.current_page in answered:
                return out
            if page.current_page is not None:
                answered.add(page.current_page)
            page_number = following

    async def search_documents(
        self,
        kind: str,
        *,
        status: int | str | None = None,
        partner_po: str | None = None,
        link_key: str | None = None,
        since: datetime | date | None = None,
    ) -> AsyncIterator[Any]:
        """``GET /Acknowledgements`` / ``/Shipments`` / ``/Invoices`` through every page, as models."""
        model = calls.model_of(kind)
        params = calls.search_params(status=status, partner_po=partner_po, link_key=link_key, since=since)
        async for record in self.records(kind, params):
            yield calls.validate(model, record)

    async def get_order(self, key: str | int) -> SalesOrder:
        """``GET /Orders/{key}`` (``Body.SalesOrder``)."""
        result: SalesOrder = await self.send(calls.get_document(ORDER.name, key))
        return result

    async def get_acknowledgement(self, key: str | int) -> Acknowledgement:
        result: Acknowledgement = await self.send(calls.get_document(ACKNOWLEDGEMENT.name, key))
        return result

    async def get_shipment(self, key: str | int) -> Shipment:
        result: Shipment = await self.send(calls.get_document(SHIPMENT.name, key))
        return result

    async def get_invoice(self, key: str | int) -> Invoice:
        result: Invoice = await self.send(calls.get_document(INVOICE.name, key))
        return result

    async def order_status(self, key: str | int) -> int:
        """``GET /Orders/{key}/Status``."""
        return await self.send(calls.get_status(key))

    async def set_order_status(self, key: str | int, status: int | str) -> dict[str, Any]:
        """``PUT /Orders/{key}/Status/{status}``."""
        return await self.send(calls.set_status(key, status))

    async def set_status_bulk(
        self, keys: list[str], status: int | str, *, only_increase: bool = True
    ) -> dict[str, Any]:
        """``PUT /Orders/Status``."""
        return await self.send(calls.set_status_bulk(keys, status, only_increase=only_increase))

    async def order_events(self, key: str | int) -> list[dict[str, Any]]:
        """The order's activity events (v1 ``/Orders/{key}/Events``, v3 ``/Orders/{key}/ActivityEvents``)."""
        return await self.send(calls.order_events(key, self.routes))

    async def order_documents(self, key: str | int, kind: str) -> list[Any]:
        """``GET /Orders/{key}/Shipments`` (or Invoices, and Acknowledgements on v1); where the version has
        no such route, a search by the order's link key."""
        call = calls.order_documents(key, kind, self.routes)
        if call is not None:
            return await self.send(call)
        model = calls.model_of(kind)
        return [calls.validate(model, r) async for r in self.records(kind, {"Filters.linkkey": str(key)})]

    async def post_document(self, kind: str, document: Document, *, order_key: str | None = None) -> Created:
        """Post a document of any kind the registry has; when the answer carries no key (v3 ``POST /Invoices``
        is documented as an empty object), find it on the server by its number among the order's documents."""
        created: Created = await self.send(calls.post_document(kind, document, order_key, self.routes))
        link = order_key or calls.link_key_of(document)
        if created.key or not link or calls.names_itself(kind):
            return created
        records = [r async for r in self.records(kind, {"Filters.linkkey": link})]
        found = calls.find_posted(kind, document, records)
        return replace(created, key=found) if found else created

    async def create_order(self, order: Document) -> Created:
        """``POST /Orders`` (the buyer's side)."""
        return await self.post_document(ORDER.name, order, order_key=None)

    async def post_acknowledgement(self, ack: Document, *, order_key: str | None = None) -> Created:
        """``POST /Acknowledgements`` (v1: ``/Acknowledgement/{order_key}`` with an order key)."""
        return await self.post_document(ACKNOWLEDGEMENT.name, ack, order_key=order_key)

    async def post_shipment(self, shipment: Document, *, order_key: str | None = None) -> Created:
        """``POST /Shipments``, or for an order v1 ``/Shipment/{order_key}``, v3 ``/Orders/{order_key}/Shipments``."""
        return await self.post_document(SHIPMENT.name, shipment, order_key=order_key)

    async def post_invoice(self, invoice: Document, *, order_key: str | None = None) -> Created:
        """``POST /Invoices``, or for an order v1 ``/Invoice/{order_key}``, v3 ``/Orders/{order_key}/Invoices``."""
        return await self.post_document(INVOICE.name, invoice, order_key=order_key)

    async def partners(self) -> dict[str, Any]:
        """``GET /Partners``: ``CompanyId``, ``CompanyName`` and ``Partners``."""
        return await self.send(calls.partners())

    async def inventory_csv(self, partner_id: int | str) -> str:
        """``GET /Inventory/{partnerId}``: the stock the caller may see under that partner, as CSV text."""
        return await self.send(calls.inventory_csv(partner_id))
