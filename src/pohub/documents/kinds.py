"""The registry of document kinds: one typed spec per kind, read by everything that used to keep a
per-kind table (routes, OpenAPI, events, webhook topics, the exchanges pipeline, the dashboard).

Adding a kind is one spec here, one rules module (named by ``rules``, resolved by the exchanges
layer so that this low layer imports none of the rules above it), one migration, and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from pohub.documents.changes import OrderChange
from pohub.documents.inventory import LBInventoryItem
from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment
from pohub.documents.returns import Return


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
    belongs_to_order: bool = True  # names an existing order (in the URL or the body); False: it is one
    # Further events of the kind's own lifecycle after it is received: (event type id, name, topic).
    lifecycle: tuple[tuple[int, str, str], ...] = ()
    # About one order's lines (routes under /Orders/{key}, the order's timeline). False for a feed
    # that stands alone (inventory): it has its own routes and rules, and no per-order routes.
    per_order: bool = True

    def __hash__(self) -> int:
        # Consistent with the fields' equality (equal specs have one name), and a fraction of
        # hashing all eighteen fields: a spec is a cache's key on every document (rules_of).
        return hash(self.name)


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
    belongs_to_order=False,
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

# A return (RMA) is the buyer's; the supplier answers it (authorise, reject, receive, credit) with
# messages of its own lifecycle, each an exchange and an event (docs/returns.md).
RETURN = KindSpec(
    name="return",
    label="Return",
    model=Return,
    plural="Returns",
    singular="Return",
    number_field="ReturnNumber",
    lines_field="ReturnLines",
    required=("ReturnNumber", "ReturnLines"),
    event_type=20,
    topic="return.requested",
    rules="pohub.returns.service:request",
    from_supplier=False,
    lifecycle=(
        (21, "Return authorised", "return.authorised"),
        (22, "Return rejected", "return.rejected"),
        (23, "Return received", "return.received"),
        (24, "Return credited", "return.credited"),
        (25, "Return cancelled", "return.cancelled"),
    ),
)

# A buyer's change to an open PO (X12 860): applies at once before the supplier acknowledged,
# else waits for the supplier's answer per line (865) (docs/returns.md, "Buyer changes").
CHANGE = KindSpec(
    name="change",
    label="Change",
    model=OrderChange,
    plural="Changes",
    singular="Change",
    number_field="ChangeNumber",
    lines_field="ChangeLines",
    required=("ChangeNumber",),
    event_type=30,
    topic="change.received",
    rules="pohub.changes.service:request",
    from_supplier=False,
    lifecycle=((31, "Change answered", "change.answered"),),
)

# The supplier's stock per SKU and warehouse (LBInventoryItem), broadcast to every buyer it trades
# with as CSV or JSON. Not about one order: routes in pohub.inventory.api, rules in its service.
INVENTORY = KindSpec(
    name="inventory",
    label="Inventory",
    model=LBInventoryItem,
    plural="Inventory",
    singular="Inventory",
    number_field=None,
    lines_field="Records",
    required=("SupplierSKU",),
    event_type=40,
    topic="inventory.updated",
    rules="pohub.inventory.service:broadcast",
    per_order=False,
)

KINDS: dict[str, KindSpec] = {k.name: k for k in (ORDER, ACKNOWLEDGEMENT, SHIPMENT, INVOICE, RETURN, CHANGE, INVENTORY)}
# The documents a supplier sends about one order: each gets the per-order routes.
SUPPLIER_KINDS: tuple[KindSpec, ...] = tuple(k for k in KINDS.values() if k.from_supplier and k.per_order)
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
