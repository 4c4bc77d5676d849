"""The supplier's side of the partner flow, against any Logicbroker-compatible API:

1-4 acknowledge (list POs in 150, read each, decide by policy, set 200, post the acknowledgement),
later acknowledgements when a policy can do better, 5 ship from CSV rows, 6 invoice every shipment
not yet invoiced. Reads go out several at a time; decisions are taken one PO at a time in the order
the server listed them, so stock goes to the oldest PO first whatever the network does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from rich.progress import Progress

from pohub.agent import documents as build
from pohub.agent.config import AgentSettings
from pohub.agent.csvfiles import CsvError, ShipmentRequest, read_shipments
from pohub.agent.documents import BuildError
from pohub.agent.policies import Decision, Policy, PurchaseOrder
from pohub.agent.report import Problem, Report
from pohub.agent.state import Doc, OrderRecord, State, shipped_units
from pohub.client import ApiError, AsyncClient, ClientError, Created, UnavailableError
from pohub.core import clock, jsonio
from pohub.documents.logicbroker import SalesOrder
from pohub.orders.status import READY, OrderStatus  # status codes are wire values: one table of them

T = TypeVar("T")
READY_TO_ACKNOWLEDGE = int(OrderStatus.READY_TO_ACKNOWLEDGE)
PICKED_UP = tuple(int(s) for s in (*READY, OrderStatus.ACKNOWLEDGED))
OPEN_FOR_INVOICE = (int(OrderStatus.READY_TO_SHIP), int(OrderStatus.READY_TO_INVOICE))
NUMBER_FIELDS = {
    "acknowledgement": "AcknowledgementNumber",
    "shipment": "ShipmentNumber",
    "invoice": "InvoiceNumber",
}
LINE_FIELDS = {"acknowledgement": "AckLines", "shipment": "ShipmentLines", "invoice": "InvoiceLines"}


@dataclass
class _AckPlan:
    doc: Doc
    po: PurchaseOrder
    set_status: bool


@dataclass
class _Candidate:
    record: OrderRecord
    shipment_number: str
    shipment_body: dict[str, Any]


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Agent:
    """One run's worth of work; ``report`` says what happened."""

    def __init__(
        self,
        *,
        settings: AgentSettings,
        client: AsyncClient,
        state: State,
        policy: Policy,
        progress: Progress | None = None,
        today: date | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.state = state
        self.policy = policy
        self.progress = progress
        self.today = today or clock.now().date()
        self.stop = stop or asyncio.Event()
        self.report = Report()
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._orders: dict[str, asyncio.Task[OrderRecord | Problem]] = {}
        self._started = time.perf_counter()

    # -- plumbing -------------------------------------------------------------------------------

    async def _bounded(self, work: Awaitable[T]) -> T:
        async with self._limit:
            return await work

    async def _all(self, works: Iterable[Awaitable[T]]) -> list[T]:
        return list(await asyncio.gather(*(self._bounded(w) for w in works)))

    def _task(self, description: str, total: int) -> Callable[[int], None]:
        if self.progress is None or total == 0:
            return lambda _n: None
        progress = self.progress
        task_id = progress.add_task(description, total=total)
        return lambda n: progress.advance(task_id, n)

    def _fail(self, problem: Problem) -> None:
        self.report.failures.append(problem)

    def finish(self) -> Report:
        """The report, with the client's figures."""
        self.report.stats = self.client.stats.as_dict()
        self.report.seconds = time.perf_counter() - self._started
        return self.report

    def _problem(self, doc: Doc, reason: str, error: ApiError | None = None) -> Problem:
        record = self.state.order(doc.order_key)
        return Problem(
            doc.kind,
            record.partner_po if record else "",
            doc.order_key,
            doc.number,
            reason,
            error.status_code if error else None,
            tuple(e.as_wire() for e in error.errors) if error else (),
        )

    async def _post(self, doc: Doc) -> Created | None:
        """Send a stored document, byte for byte; record the answer; None when it did not go through."""
        try:
            if doc.kind == "acknowledgement":
                created = await self.client.post_acknowledgement(doc.body)
            elif doc.kind == "shipment":
                created = await self.client.post_shipment(doc.body, order_key=doc.order_key)
            else:
                created = await self.client.post_invoice(doc.body, order_key=doc.order_key)
        except ApiError as exc:
            if exc.retryable:
                self.state.mark_attempt(doc, str(exc))
                self._fail(self._problem(doc, f"server unavailable, will retry next run: {exc.reasons()}", exc))
                return None
            found = await self._already_there(doc) if exc.status_code == 409 else None
            if found is None:
                self.state.mark_refused(doc, exc)
                self._fail(self._problem(doc, exc.reasons(), exc))
                return None
            created = found
        except UnavailableError as exc:
            self.state.mark_attempt(doc, str(exc))
            self._fail(self._problem(doc, f"no answer, will retry next run: {exc}"))
            return None
        self.state.mark_sent(doc, created, http_status=200 if created.duplicate else 201)
        if created.duplicate:
            self.report.duplicates += 1
        self._count(doc)
        return created

    async def _already_there(self, doc: Doc) -> Created | None:
        """After a 409, whether the server has this very document (a send whose answer was lost, and the
        document closed the order, so the hub says "no more invoices" rather than "duplicate")."""
        field = NUMBER_FIELDS[doc.kind]
        try:
            async for record in self.client.records(doc.kind, {"Filters.linkkey": doc.order_key}):
                if str(record.get(field) or "") == doc.number and _same_lines(doc, record):
                    key = str((record.get("Identifier") or {}).get("LogicbrokerKey") or "")
                    return Created(key, None, True, "found on the server after a 409")
        except ClientError:
            return None
        return None

    def _count(self, doc: Doc) -> None:
        body = doc.data()
        r = self.report
        if doc.kind == "acknowledgement":
            if body.get("ExtendedAttributes"):
                r.updated += 1
            else:
                r.acknowledged += 1
            lines = body.get("AckLines") or []
            r.accepted_units += sum(int(ln.get("Quantity") or 0) for ln in lines)
            backordered = sum(int(ln.get("QuantityBackordered") or 0) for ln in lines)
            r.backordered_units += backordered
            r.backordered_pos += 1 if backordered else 0
            cancelled = [int(ln.get("QuantityCancelled") or 0) for ln in lines]
            r.cancelled_units += sum(cancelled)
            r.cancelled_lines += sum(1 for c in cancelled if c)
        elif doc.kind == "shipment":
            r.shipped += 1
            r.shipped_units += sum(shipped_units(ln) for ln in body.get("ShipmentLines") or [])
        else:
            r.invoiced += 1
            r.invoiced_amount += body.get("InvoiceTotal") or 0

    async def _resume(self, kind: str) -> None:
        """Send what a killed or failed run left pending, exactly as it was first written."""
        pending = self.state.pending(kind)
        if not pending:
            return
        advance = self._task(f"resuming {kind}s", len(pending))
        for chunk in _chunks(pending, self.settings.concurrency * 4):
            if self.stop.is_set():
                return
            self.report.resumed += len(chunk)
            await self._all(self._post(doc) for doc in chunk)
            advance(len(chunk))

    def _remember(self, order: SalesOrder) -> OrderRecord:
        po = build.purchase_order(order)
        self.state.remember_order(
            order=po,
            buyer_id=order.sender_company_id,
            supplier_id=order.receiver_company_id,
            currency=order.currency,
            status=order.status_code,
        )
        record = self.state.order(po.key)
        assert record is not None
        return record

    async def _read(self, key: str) -> SalesOrder | Problem:
        try:
            return await self.client.get_order(key)
        except ClientError as exc:
            reason = exc.reasons() if isinstance(exc, ApiError) else str(exc)
            return Problem("order", "", key, "", f"cannot read the PO: {reason}")

    # -- 1-4: acknowledge -----------------------------------------------------------------------

    async def acknowledge(self) -> None:
        """Acknowledge every PO ready to acknowledge, then send updated acknowledgements where the policy
        can now do better."""
        await self._resume("acknowledgement")
        if self.stop.is_set():
            return
        try:
            keys = [
                str(o.identifier.logicbroker_key)
                async for o in self.client.search_orders(status=READY_TO_ACKNOWLEDGE)
                if o.identifier is not None and o.identifier.logicbroker_key
            ]
        except ClientError as exc:
            self._fail(Problem("search", "", "", "", f"cannot list the POs ready to acknowledge: {exc}"))
            return
        self.policy.start(promised=self.state.promised(), today=self.today)
        advance = self._task("acknowledging", len(keys))
        for chunk in _chunks(keys, self.settings.concurrency * 4):
            if self.stop.is_set():
                return
            orders = await self._all(self._read(key) for key in chunk)
            plans = [self._plan_ack(order) for order in orders]
            await self._all(self._send_ack(plan) for plan in plans if plan is not None)
            advance(len(chunk))
        await self._updates()

    def _plan_ack(self, order: SalesOrder | Problem) -> _AckPlan | None:
        if isinstance(order, Problem):
            self._fail(order)
            return None
        if order.status_code is not None and order.status_code not in PICKED_UP:
            return None  # moved on since it was listed
        record = self._remember(order)
        earlier = self.state.documents_of(kind="acknowledgement", order_key=record.key)
        if any(d.state == "pending" for d in earlier):
            return None  # resumed above; if that failed it is already reported
        if any(d.state == "sent" for d in earlier):
            self.report.already_done += 1
            return None
        po = build.purchase_order(order)
        decision = self.policy.acknowledge(po)
        return self._save_ack(
            record, po, decision, earlier, update=False, set_status=order.status_code == READY_TO_ACKNOWLEDGE
        )

    def _save_ack(
        self,
        record: OrderRecord,
        po: PurchaseOrder,
        decision: Decision,
        earlier: list[Doc],
        *,
        update: bool,
        set_status: bool,
    ) -> _AckPlan | None:
        digest = build.decision_hash(decision)
        last = earlier[-1] if earlier else None
        if last is not None and last.state == "refused" and last.input_hash == digest:
            self.policy.release(po)
            self.report.held.append(self._problem(last, last.last_error or "refused"))
            return None
        number = f"ACK-{record.partner_po}-{len(earlier) + 1}"
        body = build.acknowledgement(record=record, decision=decision, number=number, update=update, today=self.today)
        doc = self.state.save_pending(
            kind="acknowledgement",
            order_key=record.key,
            number=number,
            body=jsonio.dumps(body),
            input_hash=digest,
        )
        return _AckPlan(doc, po, set_status)

    async def _send_ack(self, plan: _AckPlan) -> None:
        if plan.set_status:
            try:
                await self.client.set_order_status(plan.doc.order_key, int(OrderStatus.ACKNOWLEDGED))
            except ApiError as exc:
                if not exc.retryable:
                    self.state.mark_refused(plan.doc, exc)
                    self.policy.release(plan.po)
                    self._fail(self._problem(plan.doc, f"cannot set status 200: {exc.reasons()}", exc))
                    return
                # The acknowledgement itself moves the order on; the pending document is sent below.
            except UnavailableError:
                pass
        if await self._post(plan.doc) is None:
            doc = self.state.document(kind="acknowledgement", order_key=plan.doc.order_key, number=plan.doc.number)
            if doc is not None and doc.state == "refused":
                self.policy.release(plan.po)

    async def _updates(self) -> None:
        """Later acknowledgements for backordered POs the policy can now serve better."""
        plans: list[_AckPlan] = []
        for record in self.state.backordered_orders():
            earlier = self.state.documents_of(kind="acknowledgement", order_key=record.key)
            if not any(d.state == "sent" for d in earlier) or any(d.state == "pending" for d in earlier):
                continue
            po = record.as_po()
            decision = self.policy.update(po)
            if decision is None:
                continue
            plan = self._save_ack(record, po, decision, earlier, update=True, set_status=False)
            if plan is not None:
                plans.append(plan)
        advance = self._task("updating acknowledgements", len(plans))
        for chunk in _chunks(plans, self.settings.concurrency * 4):
            if self.stop.is_set():
                return
            await self._all(self._send_ack(plan) for plan in chunk)
            advance(len(chunk))

    # -- 5: ship --------------------------------------------------------------------------------

    async def _order(self, *, key: str, partner_po: str) -> OrderRecord | Problem:
        """The PO a shipment row names, from the state when known, else from the server (once per run)."""
        ref = key or f"po:{partner_po}"
        task = self._orders.get(ref)
        if task is None:
            task = asyncio.ensure_future(self._find_order(key=key, partner_po=partner_po))
            self._orders[ref] = task
        return await task

    async def _find_order(self, *, key: str, partner_po: str) -> OrderRecord | Problem:
        if key:
            record = self.state.order(key)
            if record is not None:
                return record
            order = await self._read(key)
            return order if isinstance(order, Problem) else self._remember(order)
        keys = self.state.order_keys_for_po(partner_po)
        if len(keys) > 1:
            return Problem("shipment", partner_po, "", "", "PartnerPO names several orders: give the LogicbrokerKey")
        if keys:
            record = self.state.order(keys[0])
            assert record is not None
            return record
        try:
            found = [o async for o in self.client.search_orders(partner_po=partner_po)]
        except ClientError as exc:
            return Problem("shipment", partner_po, "", "", f"cannot look the PO up: {exc}")
        mine = [o for o in found if o.order_lines]
        if len(mine) != 1:
            why = "no order" if not mine else "several orders"
            return Problem("shipment", partner_po, "", "", f"the server has {why} with this PartnerPO")
        return self._remember(mine[0])

    async def ship(self, path: Path) -> bool:
        """Send the shipments of a CSV file; True when every one of them is on the server."""
        try:
            requests = read_shipments(path)
        except CsvError as exc:
            self._fail(Problem("shipment", "", "", "", str(exc)))
            return False
        return await self.ship_requests(requests)

    async def ship_requests(self, requests: Sequence[ShipmentRequest]) -> bool:
        """Send shipments given as grouped rows (after any a killed run left pending); True when every one is
        on the server."""
        await self._resume("shipment")
        failures_before = len(self.report.failures) + len(self.report.held)
        advance = self._task("shipping", len(requests))
        for chunk in _chunks(requests, self.settings.concurrency * 4):
            if self.stop.is_set():
                return False
            resolved = await self._all(
                self._order(key=r.order_ref[0], partner_po=r.order_ref[1]) for r in chunk if r.rows
            )
            docs: list[Doc] = []
            for request, record in zip([r for r in chunk if r.rows], resolved, strict=True):
                doc = self._plan_shipment(request, record)
                if doc is not None:
                    docs.append(doc)
            await self._all(self._post(doc) for doc in docs)
            advance(len(chunk))
        return len(self.report.failures) + len(self.report.held) == failures_before

    def _plan_shipment(self, request: ShipmentRequest, record: OrderRecord | Problem) -> Doc | None:
        po = request.order_ref[1]
        if request.problems:
            self._fail(Problem("shipment", po, request.order_ref[0], request.number, "; ".join(request.problems)))
            return None
        if isinstance(record, Problem):
            self._fail(Problem("shipment", po, record.order_key, request.number, record.reason))
            return None
        try:
            body = build.shipment(record=record, request=request)
        except BuildError as exc:
            self._fail(Problem("shipment", record.partner_po, record.key, request.number, str(exc)))
            return None
        return self._save(kind="shipment", record=record, number=request.number, body=body, digest=request.input_hash())

    def _save(
        self, *, kind: str, record: OrderRecord, number: str, body: dict[str, Any], digest: str, ref: str | None = None
    ) -> Doc | None:
        """Store a document to send, unless it went already, is waiting, or was refused as it stands."""
        existing = self.state.document(kind=kind, order_key=record.key, number=number)
        if existing is not None:
            if existing.state == "pending":
                return None  # resumed at the start of this pass
            if existing.state == "sent":
                if existing.input_hash == digest:
                    self.report.already_done += 1
                else:
                    self._fail(
                        self._problem(
                            existing,
                            f"{number} was already sent for this PO with other content; documents are immutable, "
                            "use a new number",
                        )
                    )
                return None
            if existing.input_hash == digest:
                self.report.held.append(self._problem(existing, existing.last_error or "refused"))
                return None
        return self.state.save_pending(
            kind=kind, order_key=record.key, number=number, body=jsonio.dumps(body), input_hash=digest, ref=ref
        )

    # -- 6: invoice -----------------------------------------------------------------------------

    async def invoice(self) -> None:
        """Invoice every shipment not invoiced yet: this agent's, and (unless turned off) any other the
        server lists for the last ``invoice_lookback_days`` days."""
        await self._resume("invoice")
        if self.stop.is_set():
            return
        candidates: list[_Candidate] = []
        for doc in self.state.sent_shipments_without_invoice():
            record = self.state.order(doc.order_key)
            if record is not None:
                candidates.append(_Candidate(record, doc.number, doc.data()))
        if self.settings.invoice_hub_shipments:
            candidates.extend(await self._hub_shipments())
        advance = self._task("invoicing", len(candidates))
        for chunk in _chunks(candidates, self.settings.concurrency * 4):
            if self.stop.is_set():
                return
            docs = [doc for doc in map(self._plan_invoice, chunk) if doc is not None]
            await self._all(self._post(doc) for doc in docs)
            advance(len(chunk))

    async def _hub_shipments(self) -> list[_Candidate]:
        since = datetime.combine(self.today - timedelta(days=self.settings.invoice_lookback_days), datetime.min.time())
        found: list[tuple[str, str, dict[str, Any]]] = []
        try:
            params = {"Filters.from": since.isoformat()}
            async for record in self.client.records("shipment", params):
                key = str((record.get("Identifier") or {}).get("LinkKey") or "")
                number = str(record.get("ShipmentNumber") or "")
                if not key or not number or self.state.document(kind="shipment", order_key=key, number=number):
                    continue
                if self.state.by_ref(kind="invoice", order_key=key, ref=number) is not None:
                    continue
                found.append((key, number, record))
        except ClientError as exc:
            self._fail(Problem("search", "", "", "", f"cannot list the shipments: {exc}"))
            return []
        out: list[_Candidate] = []
        orders = await self._all(self._read(key) for key in dict.fromkeys(k for k, _, _ in found))
        fresh = {o.identifier.logicbroker_key: o for o in orders if isinstance(o, SalesOrder) and o.identifier}
        for key, number, body in found:
            order = fresh.get(key)
            if order is None or order.status_code not in OPEN_FOR_INVOICE:
                continue
            shipped = sum(_hub_int(ln, "QuantityShipped") for ln in order.order_lines)
            if sum(_hub_int(ln, "QuantityInvoiced") for ln in order.order_lines) >= shipped:
                continue  # billed by someone else already
            out.append(_Candidate(self._remember(order), number, body))
        return out

    def _plan_invoice(self, candidate: _Candidate) -> Doc | None:
        record = candidate.record
        number = build.invoice_number(
            self.settings.invoice_number, shipment_number=candidate.shipment_number, record=record
        )
        try:
            draft = build.invoice(record=record, shipment_body=candidate.shipment_body, number=number, today=self.today)
        except BuildError as exc:
            self._fail(Problem("invoice", record.partner_po, record.key, number, str(exc)))
            return None
        return self._save(
            kind="invoice",
            record=record,
            number=number,
            body=draft.body,
            digest=draft.input_hash,
            ref=candidate.shipment_number,
        )

    # -- all of it ------------------------------------------------------------------------------

    async def cycle(self, *, ship_dir: Path | None = None) -> None:
        """One round of the whole flow: acknowledge, ship the CSV files waiting in ship_dir, invoice."""
        await self.acknowledge()
        if ship_dir is not None and not self.stop.is_set():
            for path in await asyncio.to_thread(lambda: sorted(ship_dir.glob("*.csv"))):
                if self.stop.is_set():
                    break
                if await self.ship(path):
                    await asyncio.to_thread(_file_away, path)
        if not self.stop.is_set():
            await self.invoice()


def _hub_int(line: Any, name: str) -> int:
    value = (line.model_extra or {}).get(name)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _file_away(path: Path) -> None:
    """A shipment file whose every shipment is on the server moves to done/, out of the next round's way."""
    done = path.parent / "done"
    done.mkdir(exist_ok=True)
    path.replace(done / path.name)


def _same_lines(doc: Doc, record: dict[str, Any]) -> bool:
    """The server's copy bills, ships or acknowledges the same lines and quantities as ours."""
    field = LINE_FIELDS[doc.kind]

    def lines(body: dict[str, Any]) -> list[tuple[str, int]]:
        return sorted(
            (str(ln.get("LineNumber")), int(ln.get("Quantity") or 0))
            for ln in body.get(field) or []
            if isinstance(ln, dict)
        )

    return lines(doc.data()) == lines(record)
