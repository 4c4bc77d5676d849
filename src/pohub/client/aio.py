"""The asyncio client: the agent keeps several requests in flight where that pays (reading and
posting many POs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from pohub.client import calls
from pohub.client.base import (
    ClientOptions,
    Stats,
    client_kwargs,
    describe_transport_error,
    judge,
    request_headers,
    request_params,
)
from pohub.client.calls import Call
from pohub.client.envelope import Created, Page
from pohub.client.errors import UnavailableError
from pohub.client.throttle import SYSTEM_CLOCK, Clock, Throttle
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
        self._http = httpx.AsyncClient(**client_kwargs(options), transport=transport)

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
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=request_params(self.options, call),
                    content=call.body,
                    headers=request_headers(call),
                )
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
        while True:
            call = calls.search_page(kind, params, page=page_number, page_size=self.options.page_size, path=path)
            page = await self.send(call)
            yield page
            following = calls.next_page(page, requested=page_number, first_page=self.options.first_page)
            if following is None:
                return
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
        async for record in self.records("order", params):
            yield SalesOrder.model_validate(record)

    async def ready_orders(self) -> AsyncIterator[SalesOrder]:
        """``GET /Orders/Ready``: orders still to pick up."""
        async for record in self.records("order", {}, path="/Orders/Ready"):
            yield SalesOrder.model_validate(record)

    async def ready_order_keys(self) -> list[str]:
        """``GET /Orders/LogicbrokerKeys/Ready``."""
        out: list[str] = []
        page_number = self.options.first_page
        while True:
            page = await self.send(calls.ready_keys_page(page=page_number, page_size=self.options.page_size))
            out.extend(str(k) for k in page.records)
            following = calls.next_page(page, requested=page_number, first_page=self.options.first_page)
            if following is None:
                return out
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
        model = calls.KINDS[kind][0]
        params = calls.search_params(status=status, partner_po=partner_po, link_key=link_key, since=since)
        async for record in self.records(kind, params):
            yield model.model_validate(record)

    async def get_order(self, key: str | int) -> SalesOrder:
        """``GET /Orders/{key}`` (``Body.SalesOrder``)."""
        result: SalesOrder = await self.send(calls.get_document("order", key))
        return result

    async def get_acknowledgement(self, key: str | int) -> Acknowledgement:
        result: Acknowledgement = await self.send(calls.get_document("acknowledgement", key))
        return result

    async def get_shipment(self, key: str | int) -> Shipment:
        result: Shipment = await self.send(calls.get_document("shipment", key))
        return result

    async def get_invoice(self, key: str | int) -> Invoice:
        result: Invoice = await self.send(calls.get_document("invoice", key))
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
        """``GET /Orders/{key}/Events``."""
        return await self.send(calls.order_events(key))

    async def order_documents(self, key: str | int, kind: str) -> list[Any]:
        """``GET /Orders/{key}/Acknowledgements`` (or Shipments, Invoices)."""
        return await self.send(calls.order_documents(key, kind))

    async def create_order(self, order: Document) -> Created:
        """``POST /Orders`` (the buyer's side)."""
        return await self.send(calls.post_document("order", order))

    async def post_acknowledgement(self, ack: Document, *, order_key: str | None = None) -> Created:
        """``POST /Acknowledgements``, or ``/Acknowledgement/{order_key}``."""
        return await self.send(calls.post_document("acknowledgement", ack, order_key))

    async def post_shipment(self, shipment: Document, *, order_key: str | None = None) -> Created:
        """``POST /Shipments``, or ``/Shipment/{order_key}``."""
        return await self.send(calls.post_document("shipment", shipment, order_key))

    async def post_invoice(self, invoice: Document, *, order_key: str | None = None) -> Created:
        """``POST /Invoices``, or ``/Invoice/{order_key}``."""
        return await self.send(calls.post_document("invoice", invoice, order_key))
