"""Webhook topics: what an activity event (or a finished job) is called on the wire."""

from __future__ import annotations

from pohub.documents.kinds import ACKNOWLEDGEMENT, INVOICE, KINDS, ORDER, SHIPMENT
from pohub.orders import events

ORDER_CREATED = ORDER.topic
ORDER_STATUS_CHANGED = "order.status_changed"
ACKNOWLEDGEMENT_RECEIVED = ACKNOWLEDGEMENT.topic
SHIPMENT_RECEIVED = SHIPMENT.topic
INVOICE_RECEIVED = INVOICE.topic
DOCUMENT_REFUSED = "document.refused"
ALL_LINES_CANCELLED = "order.all_lines_cancelled"
JOB_FINISHED = "job.finished"
TEST = "webhook.test"
ALL = "*"

BY_EVENT_TYPE = {
    **{k.event_type: k.topic for k in KINDS.values()},
    events.STATUS_CHANGED: ORDER_STATUS_CHANGED,
    events.DOCUMENT_REFUSED: DOCUMENT_REFUSED,
    events.ALL_LINES_CANCELLED: ALL_LINES_CANCELLED,
}

TOPICS = (*BY_EVENT_TYPE.values(), JOB_FINISHED, ALL)

# Other spellings clients use: the warehouse API calls a finished bulk import "salesOrderAck".
ALIASES = {"salesorderack": JOB_FINISHED}


def normalise(topic: str) -> str | None:
    """The canonical topic for a spelling ("Order.Created", "order_created", "salesOrderAck"), or None."""
    text = topic.strip()
    if text == ALL:
        return ALL
    folded = text.casefold().replace("_", ".").replace(" ", ".")
    if folded in ALIASES:
        return ALIASES[folded]
    for known in TOPICS:
        if folded == known or folded.replace(".", "") == known.replace(".", "").replace("_", ""):
            return known
    return None


def matches(subscribed: str, topic: str) -> bool:
    return subscribed in (topic, ALL) and topic != TEST
