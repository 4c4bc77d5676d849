"""The registry of document kinds: one typed spec per kind, read by everything that used to keep a
per-kind table (routes, OpenAPI, events, webhook topics, the exchanges pipeline, the dashboard).

Adding a kind is one spec here, one rules module (named by ``rules``, resolved by the exchanges
layer so that this low layer imports none of the rules above it), one migration, and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment


@dataclass(frozen=True)
class KindSpec:
    name: str  # "shipment": the documents.kind column, exchanges.kind, the agent's state
    label: str  # "Shipment": timeline and messages
    model: type[BaseModel]  # the wire model a body is parsed into
    plural: str  # "Shipments": the collection route and the order's list of them
    singular: str  # "Shipment": the seeds' v1 route POST /Shipment/{LogicbrokerKey}
    number_field: str | None  # wire name of the document's own number
    lines_field: str  # wire name of its lines
    required: tuple[str, ...]  # what the hub requires beyond the published schema
    event_type: int  # LBActivityEvent.TypeId of "<kind> received"
    topic: str  # webhook topic of that event
    rules: str  # "module:function" applying a parsed document in a unit of work
    form: str | None = None  # the dashboard's action for it (/orders/{key}/{form})
    from_supplier: bool = True  # sent by the order's supplier (False: by the buyer)
    acknowledges: bool = False  # applying it acknowledges the order (derive_status moves 150/200 on)


ORDER = KindSpec(
    name="order",
    label="Order",
    model=SalesOrder,
    plural="Orders",
    singular="Order",
    number_field="OrderNumber",
    lines_field="OrderLines",
    required=("PartnerPO", "OrderLines"),
    event_type=1,
    topic="order.created",
    rules="pohub.orders.service:create_order",
    from_supplier=False,
)
ACKNOWLEDGEMENT = KindSpec(
    name="acknowledgement",
    label="Acknowledgement",
    model=Acknowledgement,
    plural="Acknowledgements",
    singular="Acknowledgement",
    number_field="AcknowledgementNumber",
    lines_field="AckLines",
    required=("AckLines",),
    event_type=3,
    topic="acknowledgement.received",
    rules="pohub.acknowledgements.service:receive",
    form="acknowledge",
    acknowledges=True,
)
SHIPMENT = KindSpec(
    name="shipment",
    label="Shipment",
    model=Shipment,
    plural="Shipments",
    singular="Shipment",
    number_field="ShipmentNumber",
    lines_field="ShipmentLines",
    required=("ShipmentNumber", "ShipmentLines"),
    event_type=4,
    topic="shipment.received",
    rules="pohub.shipments.service:receive",
    form="ship",
)
INVOICE = KindSpec(
    name="invoice",
    label="Invoice",
    model=Invoice,
    plural="Invoices",
    singular="Invoice",
    number_field="InvoiceNumber",
    lines_field="InvoiceLines",
    required=("InvoiceNumber", "InvoiceLines"),
    event_type=5,
    topic="invoice.received",
    rules="pohub.invoices.service:receive",
    form="invoice",
)

KINDS: dict[str, KindSpec] = {k.name: k for k in (ORDER, ACKNOWLEDGEMENT, SHIPMENT, INVOICE)}
SUPPLIER_KINDS: tuple[KindSpec, ...] = tuple(k for k in KINDS.values() if k.from_supplier)
BY_MODEL: dict[str, KindSpec] = {k.model.__name__: k for k in KINDS.values()}


def kind(name: str) -> KindSpec:
    """The spec of a kind by name; LookupError for a kind pohub does not have."""
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"no document kind {name!r}") from None


def label(name: str) -> str:
    """A kind's label, or the name itself for messages that are not documents (a status, a job)."""
    spec = KINDS.get(name)
    return spec.label if spec is not None else name
