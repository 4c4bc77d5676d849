"""The supplier's side of the partner flow, against any Logicbroker-compatible API:

1-4 acknowledge (list POs in 150, read each, decide by policy, set 200, post the acknowledgement),
later acknowledgements when a policy can do better, 5 ship from CSV rows, 6 invoice every shipment
not yet invoiced. Reads go out several at a time; decisions are taken one PO at a time in the order
the server listed them, so stock goes to the oldest PO first whatever the network does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, TypeVar

from rich.progress import Progress

from pohub.agent import documents as build
from pohub.agent import kinds
from pohub.agent.config import AgentSettings
from pohub.agent.csvfiles import CsvError, ShipmentRequest, read_shipments
from pohub.agent.documents import BuildError
from pohub.agent.kinds import ACK, BILL, SHIP
from pohub.agent.policies import Decision, Policy, PurchaseOrder
from pohub.agent.report import Problem, Report
from pohub.agent.rows import Doc, OrderRecord
from pohub.agent.state import State
from pohub.client import ApiError, AsyncClient, ClientError, Created, UnavailableError
from pohub.core import clock, jsonio
from pohub.documents.kinds import ORDER
from pohub.documents.logicbroker import SalesOrder
from pohub.orders.status import READY, OrderStatus  # status codes are wire values: one table of them

T = TypeVar("T")
READY_TO_ACKNOWLEDGE = int(OrderStatus.READY_TO_ACKNOWLEDGE)
PICKED_UP = tuple(int(s) for s in (*READY, OrderStatus.ACKNOWLEDGED))
OPEN_FOR_INVOICE = (int(OrderStatus.READY_TO_SHIP), int(OrderStatus.READY_TO_INVOICE))


@dataclass
class _AckPlan:
    doc: Doc
    po: PurchaseOrder
    set_status: bool
    refusal: ApiError | None = None  # step 3 refused (by the bulk call): the PO goes no further


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
        self._orders: dict[str, asyncio.Future[OrderRecord | Problem]] = {}
        self._started = time.perf_counter()

    # -- plumbing -------------------------------------------------------------------------------

    async def _bounded(self, work: Awaitable[T]) -> T:
        async with self._limit:
            return await work

    async def _all(self, works: Iterable[Awaitable[T]]) -> list[T]:
        return list(await self._start(works))

    def _start(self, works: Iterable[Awaitable[T]]) -> asyncio.Future[list[T]]:
        """The works as tasks, already scheduled: the first of them write their requests at the caller's
        next await (``_going``), not one loop pass later as a task around gather would."""
        return asyncio.gather(*(self._bounded(w) for w in works))

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
            order_key = doc.order_key if kinds.sent(doc.kind).for_order else None
            created = await self.client.post_document(doc.kind, doc.body, order_key=order_key)
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
        data = doc.data()  # parsed once, for the state's line figures and the report's count
        self.state.mark_sent(doc, created, http_status=200 if created.duplicate else 201, data=data)
        if created.duplicate:
            self.report.duplicates += 1
        kinds.sent(doc.kind).count(self.report, data)
        return created

    async def _already_there(self, doc: Doc) -> Created | None:
        """After a 409, whether the server has this very document (a send whose answer was lost, and the
        document closed the order, so the hub says "no more invoices" rather than "duplicate")."""
        field = kinds.sent(doc.kind).number_field
        try:
            async for record in self.client.records(doc.kind, {"Filters.linkkey": doc.order_key}):
                if str(record.get(field) or "") == doc.number and _same_lines(doc, record):
                    key = str((record.get("Identifier") or {}).get("LogicbrokerKey") or "")
                    return Created(key, None, True, "found on the server after a 409")
        except ClientError:
            return None
        return None

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

    def _remember(self, order: SalesOrder, po: PurchaseOrder | None = None) -> OrderRecord:
        """Keep the PO (``po``: its ``build.purchase_order``, when the caller has it) and answer it as kept."""
        return self.state.remember_order(
            order=build.purchase_order(order) if po is None else po,
            buyer_id=order.sender_company_id,
            supplier_id=order.receiver_company_id,
            currency=order.currency,
            status=order.status_code,
        )

    async def _read(self, key: str) -> SalesOrder | Problem:
        """One PO, or the Problem that says which PO and which field when it cannot be worked on (the
        answer does not fit the definitions, or a figure the agent needs makes no sense)."""
        try:
            order = await self.client.get_order(key)
        except ClientError as exc:
            return Problem(ORDER.name, "", key, "", f"cannot read the PO: {exc.reasons()}")
        return self._usable(order, key)

    def _usable(self, order: SalesOrder, key: str) -> SalesOrder | Problem:
        try:
            build.purchase_order(order)
        except BuildError as exc:
            return Problem(ORDER.name, order.partner_po or "", key, "", f"cannot work on the PO: {exc}")
        return order

    # -- 1-4: acknowledge -----------------------------------------------------------------------

    async def acknowledge(self) -> None:
        """Acknowledge every PO ready to acknowledge, then send updated acknowledgements where the policy
        can now do better."""
        await self._resume(ACK)
        if self.stop.is_set():
            return
        try:
            keys = await self._ready_keys()
        except ClientError as exc:
            self._fail(Problem("search", "", "", "", f"cannot list the POs ready to acknowledge: {exc.reasons()}"))
            return
        try:
            await self.policy.refresh(self.client)  # a policy on the hub's inventory feed reads it here
        except (ClientError, ValueError) as exc:
            self._fail(Problem("inventory", "", "", "", f"cannot read the inventory feed: {exc}"))
            return
        self.policy.start(promised=self.state.promised(), today=self.today)
        advance = self._task("acknowledging", len(keys))
        chunks = list(_chunks(keys, self.settings.concurrency * 4))
        reading = self._read_ahead(chunks, 0)
        for number, chunk in enumerate(chunks):
            if self.stop.is_set():
                await _drop(reading)
                return
            assert reading is not None
            orders = await reading
            # The next chunk's POs are read while this one is decided and sent; each chunk is still decided
            # in listing order and after the previous chunk's answers (a refusal's stock is released first).
            reading = self._read_ahead(chunks, number + 1)
            await _going()  # those reads reach the hub before this chunk's planning holds the loop
            with self.state.batch():
                plans = [plan for plan in map(self._plan_ack, orders) if plan is not None]
            await self._set_statuses(plans)
            await self._all(self._send_ack(plan) for plan in plans)
            advance(len(chunk))
        await self._updates()

    def _read_ahead(
        self, chunks: Sequence[Sequence[str]], number: int
    ) -> asyncio.Future[list[SalesOrder | Problem]] | None:
        if number >= len(chunks):
            return None
        return self._start(self._read(key) for key in chunks[number])

    async def _set_statuses(self, plans: Sequence[_AckPlan]) -> None:
        """Step 3 for several POs at once: one ``PUT /Orders/Status`` instead of one call per PO. Each key
        is answered on its own; a refused one is that PO's refusal, as the single route would have said.
        A single PO, a hub that refuses the bulk call as a whole, or a bulk limit with no call free now
        keeps the per-order route (in _send_ack)."""
        wanted = [plan for plan in plans if plan.set_status]
        # Under the platform's bulk limit (1 call/s) the per-order route is the faster once the burst is spent.
        if len(wanted) < 2 or not self.client.throttle.free("bulk"):
            return
        try:
            answer = await self.client.set_status_bulk(
                [plan.doc.order_key for plan in wanted], int(OrderStatus.ACKNOWLEDGED), only_increase=False
            )
        except (ApiError, UnavailableError) as exc:
            if isinstance(exc, UnavailableError) or exc.retryable:
                for plan in wanted:
                    plan.set_status = False  # the acknowledgement itself moves the order on
            return  # else: refused as a whole (no such route?): each PO takes the per-order route
        except ClientError:
            return  # an answer that cannot be read: the per-order route says for each PO
        refused = {str(r.get("LogicbrokerKey")): r for r in answer.get("Refused") or [] if isinstance(r, dict)}
        for plan in wanted:
            plan.set_status = False
            why = refused.get(plan.doc.order_key)
            if why is not None:
                code = why.get("Code")
                plan.refusal = ApiError(
                    str(why.get("Error") or "refused"),
                    "PUT",
                    "/Orders/Status",
                    status_code=code if isinstance(code, int) and not isinstance(code, bool) else 409,
                )

    async def _ready_keys(self) -> list[str]:
        """The keys of the POs listed in 150. Only the key is read from the listing (each PO is read in
        full next): a record the agent cannot use is reported, and the others go on."""
        keys: list[str] = []
        params = {"Filters.status": str(READY_TO_ACKNOWLEDGE)}
        async for record in self.client.records(ORDER.name, params):
            identifier = record.get("Identifier") if isinstance(record, dict) else None
            key = identifier.get("LogicbrokerKey") if isinstance(identifier, dict) else None
            if isinstance(key, str | int) and not isinstance(key, bool) and str(key):
                keys.append(str(key))
            else:
                po = str(record.get("PartnerPO") or "") if isinstance(record, dict) else ""
                self._fail(Problem(ORDER.name, po, "", "", "listed without Identifier.LogicbrokerKey; skipped"))
        return list(dict.fromkeys(keys))

    def _plan_ack(self, order: SalesOrder | Problem) -> _AckPlan | None:
        if isinstance(order, Problem):
            self._fail(order)
            return None
        key = order.identifier.logicbroker_key if order.identifier else ""
        try:
            return self._plan_ack_of(order)
        except Exception as exc:  # a policy's own code, or a PO it cannot handle: this PO only
            self._fail(Problem(ACK, order.partner_po or "", str(key or ""), "", _why(exc)))
            return None

    def _plan_ack_of(self, order: SalesOrder) -> _AckPlan | None:
        if order.status_code is not None and order.status_code not in PICKED_UP:
            return None  # moved on since it was listed
        po = build.purchase_order(order)
        record = self._remember(order, po)
        earlier = self.state.documents_of(kind=ACK, order_key=record.key)
        if any(d.state == "pending" for d in earlier):
            return None  # resumed above; if that failed it is already reported
        if any(d.state == "sent" for d in earlier):
            self.report.already_done += 1
            return None
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
            kind=ACK,
            order_key=record.key,
            number=number,
            body=jsonio.dumps(body),
            input_hash=digest,
        )
        return _AckPlan(doc, po, set_status)

    async def _send_ack(self, plan: _AckPlan) -> None:
        if plan.refusal is not None:
            self._refuse_ack(plan, plan.refusal)
            return
        if plan.set_status:
            try:
                await self.client.set_order_status(plan.doc.order_key, int(OrderStatus.ACKNOWLEDGED))
            except ApiError as exc:
                if not exc.retryable:
                    self._refuse_ack(plan, exc)
                    return
                # The acknowledgement itself moves the order on; the pending document is sent below.
            except UnavailableError:
                pass
        if await self._post(plan.doc) is None:
            doc = self.state.document(kind=ACK, order_key=plan.doc.order_key, number=plan.doc.number)
            if doc is not None and doc.state == "refused":
                self.policy.release(plan.po)

    def _refuse_ack(self, plan: _AckPlan, exc: ApiError) -> None:
        self.state.mark_refused(plan.doc, exc)
        self.policy.release(plan.po)
        self._fail(self._problem(plan.doc, f"cannot set status 200: {exc.reasons()}", exc))

    async def _updates(self) -> None:
        """Later acknowledgements for backordered POs the policy can now serve better."""
        plans: list[_AckPlan] = []
        with self.state.batch():
            self._plan_updates(plans)
        advance = self._task("updating acknowledgements", len(plans))
        for chunk in _chunks(plans, self.settings.concurrency * 4):
            if self.stop.is_set():
                return
            await self._all(self._send_ack(plan) for plan in chunk)
            advance(len(chunk))

    def _plan_updates(self, plans: list[_AckPlan]) -> None:
        for record in self.state.backordered_orders():
            earlier = self.state.documents_of(kind=ACK, order_key=record.key)
            if not any(d.state == "sent" for d in earlier) or any(d.state == "pending" for d in earlier):
                continue
            po = record.as_po()
            decision = self.policy.update(po)
            if decision is None:
                continue
            plan = self._save_ack(record, po, decision, earlier, update=True, set_status=False)
            if plan is not None:
                plans.append(plan)

    # -- 5: ship --------------------------------------------------------------------------------

    async def _order(self, *, key: str, partner_po: str) -> OrderRecord | Problem:
        """The PO a shipment row names, from the state when known, else from the server (once per run)."""
        ref = key or f"po:{partner_po}"
        task = self._orders.get(ref)
        if task is None:
            task = asyncio.ensure_future(self._find_order(key=key, partner_po=partner_po))
            self._orders[ref] = task
        return await task

    def _known_orders(self, requests: Sequence[ShipmentRequest]) -> None:
        """What ``_order`` answers from the state for these rows' POs, read in three statements for them all
        (not up to three each); the POs it does not know, or knows several of, are left to ``_find_order``."""
        refs = {
            r.order_ref for r in requests if r.rows and (r.order_ref[0] or f"po:{r.order_ref[1]}") not in self._orders
        }
        by_key = [key for key, _ in refs if key]
        keys_of = self.state.order_keys_for_pos(po for key, po in refs if not key)
        records = self.state.orders([*by_key, *(keys[0] for keys in keys_of.values() if len(keys) == 1)])
        known = {key: records[key] for key in by_key if key in records}
        known.update({f"po:{po}": records[keys[0]] for po, keys in keys_of.items() if len(keys) == 1})
        loop = asyncio.get_running_loop()
        for ref, record in known.items():
            self._orders[ref] = future = loop.create_future()
            future.set_result(record)

    async def _find_order(self, *, key: str, partner_po: str) -> OrderRecord | Problem:
        if key:
            record = self.state.order(key)
            if record is not None:
                return record
            order = await self._read(key)
            return order if isinstance(order, Problem) else self._remember(order)
        keys = self.state.order_keys_for_po(partner_po)
        if len(keys) > 1:
            return Problem(SHIP, partner_po, "", "", "PartnerPO names several orders: give the LogicbrokerKey")
        if keys:
            record = self.state.order(keys[0])
            assert record is not None
            return record
        try:
            found = [o async for o in self.client.search_orders(partner_po=partner_po)]
        except ClientError as exc:
            return Problem(SHIP, partner_po, "", "", f"cannot look the PO up: {exc.reasons()}")
        mine = [o for o in found if o.order_lines]
        if len(mine) != 1:
            why = "no order" if not mine else "several orders"
            return Problem(SHIP, partner_po, "", "", f"the server has {why} with this PartnerPO")
        found_key = mine[0].identifier.logicbroker_key if mine[0].identifier else None
        usable = self._usable(mine[0], str(found_key or ""))
        return usable if isinstance(usable, Problem) else self._remember(usable)

    async def ship(self, path: Path) -> bool:
        """Send the shipments of a CSV file; True when every one of them is on the server."""
        try:
            requests = read_shipments(path)
        except CsvError as exc:
            self._fail(Problem(SHIP, "", "", "", str(exc)))
            return False
        return await self.ship_requests(requests)

    async def ship_requests(self, requests: Sequence[ShipmentRequest]) -> bool:
        """Send shipments given as grouped rows (after any a killed run left pending); True when every one is
        on the server."""
        await self._resume(SHIP)
        failures_before = len(self.report.failures) + len(self.report.held)
        advance = self._task("shipping", len(requests))
        sending: asyncio.Future[list[Created | None]] | None = None
        for chunk in _chunks(requests, self.settings.concurrency * 4):
            if self.stop.is_set():
                break
            self._known_orders(chunk)
            resolved = await self._all(
                self._order(key=r.order_ref[0], partner_po=r.order_ref[1]) for r in chunk if r.rows
            )
            docs: list[Doc] = []
            with self.state.batch():
                for request, record in zip([r for r in chunk if r.rows], resolved, strict=True):
                    doc = self._plan_shipment(request, record)
                    if doc is not None:
                        docs.append(doc)
            # This chunk is written down (pending) while the previous one is still being sent.
            await _settle(sending)
            sending = await self._send_all(docs)
            advance(len(chunk))
        await _settle(sending)
        if self.stop.is_set():
            return False
        return len(self.report.failures) + len(self.report.held) == failures_before

    async def _send_all(self, docs: Sequence[Doc]) -> asyncio.Future[list[Created | None]]:
        """Start posting the documents; the first of them are at the hub when this returns, so the hub
        works on them while the next chunk is planned."""
        sending = self._start(self._post(doc) for doc in docs)
        await _going()
        return sending

    def _plan_shipment(self, request: ShipmentRequest, record: OrderRecord | Problem) -> Doc | None:
        po = request.order_ref[1]
        if request.problems:
            self._fail(Problem(SHIP, po, request.order_ref[0], request.number, "; ".join(request.problems)))
            return None
        if isinstance(record, Problem):
            self._fail(Problem(SHIP, po or record.partner_po, record.order_key, request.number, record.reason))
            return None
        try:
            body = build.shipment(record=record, request=request)
        except BuildError as exc:
            self._fail(Problem(SHIP, record.partner_po, record.key, request.number, str(exc)))
            return None
        return self._save(kind=SHIP, record=record, number=request.number, body=body, digest=request.input_hash())

    def _save(
        self, *, kind: str, record: OrderRecord, number: str, body: dict[str, Any], digest: str, ref: str | None = None
    ) -> Doc | None:
        """Store a document to send, unless it went already, is waiting, or was refused as it stands."""
        data = jsonio.dumps(body)
        # The usual case, a number not used yet, in one statement; else what is there decides.
        doc = self.state.save_new(kind=kind, order_key=record.key, number=number, body=data, input_hash=digest, ref=ref)
        if doc is not None:
            return doc
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
            kind=kind, order_key=record.key, number=number, body=data, input_hash=digest, ref=ref
        )

    # -- 6: invoice -----------------------------------------------------------------------------

    async def invoice(self) -> None:
        """Invoice every shipment not invoiced yet: this agent's, and (unless turned off) any other the
        server lists for the last ``invoice_lookback_days`` days."""
        await self._resume(BILL)
        if self.stop.is_set():
            return
        candidates: list[_Candidate] = []
        shipments = self.state.sent_shipments_without_invoice()
        records = self.state.orders(doc.order_key for doc in shipments)
        for doc in shipments:
            record = records.get(doc.order_key)
            if record is not None:
                candidates.append(_Candidate(record, doc.number, doc.data()))
        if self.settings.invoice_hub_shipments:
            candidates.extend(await self._hub_shipments())
        advance = self._task("invoicing", len(candidates))
        sending: asyncio.Future[list[Created | None]] | None = None
        for chunk in _chunks(candidates, self.settings.concurrency * 4):
            if self.stop.is_set():
                break
            with self.state.batch():
                docs = [doc for doc in map(self._plan_invoice, chunk) if doc is not None]
            await _settle(sending)
            sending = await self._send_all(docs)
            advance(len(chunk))
        await _settle(sending)

    async def _hub_shipments(self) -> list[_Candidate]:
        since = datetime.combine(
            self.today - timedelta(days=self.settings.invoice_lookback_days), day_time.min, tzinfo=UTC
        )
        found: list[tuple[str, str, dict[str, Any]]] = []
        try:
            params = {"Filters.from": since.isoformat()}  # date-time with its offset, as the document says
            async for record in self.client.records(SHIP, params):
                key = str((record.get("Identifier") or {}).get("LinkKey") or "")
                number = str(record.get(kinds.sent(SHIP).number_field) or "")
                if not key or not number or self.state.document(kind=SHIP, order_key=key, number=number):
                    continue
                if self.state.by_ref(kind=BILL, order_key=key, ref=number) is not None:
                    continue
                found.append((key, number, record))
        except ClientError as exc:
            self._fail(Problem("search", "", "", "", f"cannot list the shipments: {exc.reasons()}"))
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
            self._fail(Problem(BILL, record.partner_po, record.key, number, str(exc)))
            return None
        return self._save(
            kind=BILL,
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


async def _going() -> None:
    """One pass of the event loop: tasks just scheduled run to their first wait (a request written out)."""
    await asyncio.sleep(0)


async def _settle(sending: asyncio.Future[Any] | None) -> None:
    if sending is not None:
        await sending


async def _drop(reading: asyncio.Future[Any] | None) -> None:
    """A read ahead that is no longer wanted (the run is stopping): reads only, so cancelling loses nothing."""
    if reading is None:
        return
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, BuildError) else f"cannot acknowledge the PO: {type(exc).__name__}: {exc}"


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
    kind = kinds.sent(doc.kind)

    def lines(body: dict[str, Any]) -> list[tuple[str, int]]:
        return sorted((str(ln.get("LineNumber")), int(ln.get("Quantity") or 0)) for ln in kind.lines(body))

    return lines(doc.data()) == lines(record)
