"""EDIFACT D.96A as the exchanges pipeline sees it: read an interchange into a Reading, answer it
with a CONTRL, and write pohub's own documents (ORDERS, ORDRSP, ORDCHG, DESADV, INVOIC) in a UNB envelope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pohub.documents.logicbroker import SalesOrder
from pohub.edi import guides
from pohub.edi.edifact.contrl import ACCEPTED, build_contrl
from pohub.edi.edifact.errors import EdifactError
from pohub.edi.edifact.syntax import Seg, parse, serialize
from pohub.edi.edifact.validate import read_edifact
from pohub.edi.edifact.writer import EdifactOut, EdifactParty, wrap_message, write_edifact
from pohub.edi.guides import Guide
from pohub.edi.mapping.common import MappingError
from pohub.edi.mapping.edifact_ack import acknowledgement_to_ordrsp, ordrsp_to_acknowledgement
from pohub.edi.mapping.edifact_change import (
    answers_a_change,
    change_to_ordchg,
    ordchg_to_change,
    ordrsp_to_reply,
    reply_to_ordrsp,
)
from pohub.edi.mapping.edifact_invoice import invoic_to_invoice, invoice_to_invoic
from pohub.edi.mapping.edifact_order import order_to_orders, orders_to_order
from pohub.edi.mapping.edifact_shipment import desadv_to_shipment, shipment_to_desadv
from pohub.edi.reading import (
    CHANGE_ANSWER,
    Acknowledgement,
    Envelope,
    Found,
    GroupNote,
    Numbers,
    Reading,
    control_key,
    register,
)


@dataclass(frozen=True)
class MessageSpec:
    type: str
    kind: str
    read: Callable[[list[Seg]], BaseModel] | None
    write: Callable[[Any, SalesOrder | None], list[Seg]] | None
    # When one message type carries several kinds: whether a message is this one (None: always).
    applies: Callable[[list[Seg]], bool] | None = None


MESSAGES: tuple[MessageSpec, ...] = (
    MessageSpec("ORDERS", "order", orders_to_order, lambda d, _o: order_to_orders(d)),
    # An ORDRSP naming a change (RFF PP) answers it; any other acknowledges the order.
    MessageSpec("ORDRSP", CHANGE_ANSWER, ordrsp_to_reply, reply_to_ordrsp, answers_a_change),
    MessageSpec("ORDRSP", "acknowledgement", ordrsp_to_acknowledgement, lambda d, _o: acknowledgement_to_ordrsp(d)),
    MessageSpec("ORDCHG", "change", ordchg_to_change, change_to_ordchg),
    MessageSpec("DESADV", "shipment", desadv_to_shipment, lambda d, _o: shipment_to_desadv(d)),
    MessageSpec("INVOIC", "invoice", invoic_to_invoice, lambda d, _o: invoice_to_invoic(d)),
    MessageSpec("CONTRL", "functional_acknowledgement", None, None),
)
BY_KIND = {m.kind: m for m in MESSAGES}


def spec_of(message_type: str, body: list[Seg]) -> MessageSpec | None:
    """The spec a message is read by: the first of its type that applies to it."""
    return next(
        (m for m in MESSAGES if m.type == message_type and (m.applies is None or m.applies(body))),
        None,
    )


def error_wire(e: EdifactError) -> dict[str, Any]:
    return {
        "Level": e.level.value,
        "Code": e.code,
        "Segment": e.tag,
        "Position": e.position,
        "Element": e.element,
        "Value": None,
        "Message": e.describe(),
    }


def _po(body: list[Seg]) -> str | None:
    return next((s.comp(1, 2) for s in body if s.tag == "RFF" and s.comp(1, 1) == "ON"), None)


class Edifact:
    name = "edifact"
    content_type = "application/edifact"
    kinds: tuple[str, str | None, str] = ("unb", None, "unh")

    def read(self, raw: bytes, guide: Guide | None = None) -> Reading:
        """Read and validate an interchange (against the partner's guide too, when given)."""
        extra = None
        if guide:

            def extra(message_type: str, body: list[Seg]) -> list[EdifactError]:
                return guides.check_edifact(body, guide[message_type]) if message_type in guide else []

        result = read_edifact(raw, extra)
        errors = [error_wire(e) for e in result.errors]
        interchange = result.interchange
        if interchange is None:
            return Reading("edifact", None, None, None, False, False, [], errors, [], result)
        unb = interchange.unb
        found, accepted = [], 0
        for message in interchange.messages:
            errors += [error_wire(e) for e in message.errors]
            spec = spec_of(message.type, message.body)
            if message.errors or spec is None:
                continue
            accepted += 1
            text = serialize(message.body, result.una)
            found.append(Found(message.type, message.reference, spec.kind, message.body, text, _po(message.body)))
        note = GroupNote("UNB", interchange.reference, len(interchange.messages), accepted, errors)
        return Reading(
            standard="edifact",
            sender=(unb.comp(2, 2), unb.comp(2, 1)),
            receiver=(unb.comp(3, 2), unb.comp(3, 1)),
            control=interchange.reference,
            test=interchange.test,
            accepted=result.accepted,
            groups=[note],
            errors=errors,
            found=found if result.accepted else [],
            native=result,
        )

    def groups_to_acknowledge(self, reading: Reading) -> int:
        return 1

    def acknowledge(self, reading: Reading, numbers: Numbers, date: datetime) -> Acknowledgement | None:
        result = reading.native
        if result.interchange is None or reading.sender is None or reading.receiver is None:
            return None
        message = wrap_message(str(numbers.set), "CONTRL", build_contrl(result))
        out = EdifactOut(
            sender=EdifactParty(reading.receiver[1], reading.receiver[0]),
            recipient=EdifactParty(reading.sender[1], reading.sender[0]),
            reference=str(numbers.interchange),
            date=date,
            messages=[message],
            test=reading.test,
        )
        return Acknowledgement("CONTRL", write_edifact(out, result.una))

    def map(self, found: Found, order: SalesOrder | None) -> list[BaseModel]:
        spec = BY_KIND[found.kind]
        assert spec.read is not None
        return [spec.read(found.body)]

    def write(
        self, kind: str, document: BaseModel, order: SalesOrder | None, envelope: Envelope, numbers: Numbers
    ) -> tuple[str, bytes]:
        spec = BY_KIND.get(kind)
        if spec is None or spec.write is None:
            raise MappingError(kind, "pohub does not write this document in EDIFACT yet (docs/edi.md)")
        message = wrap_message(str(numbers.set), spec.type, spec.write(document, order))
        out = EdifactOut(
            sender=EdifactParty(envelope.sender[1], envelope.sender[0]),
            recipient=EdifactParty(envelope.receiver[1], envelope.receiver[0]),
            reference=str(numbers.interchange),
            date=envelope.date,
            messages=[message],
            test=envelope.test,
        )
        return spec.type, write_edifact(out)

    def check(self, payload: bytes, guide: Guide | None = None) -> list[dict[str, Any]]:
        return self.read(payload, guide).errors

    def acknowledged_groups(self, found: Found) -> list[tuple[str, bool, str]]:
        """What a CONTRL says of the interchange it answers: (UNB 0020, accepted, UCI action)."""
        uci = next((s for s in found.body if s.tag == "UCI"), None)
        if uci is None:
            return []
        action = uci.comp(4)
        return [(uci.comp(1), action == ACCEPTED, action)]

    def outbound_groups(self, payload: bytes) -> list[str]:
        _una, segments = parse(payload)
        return [s.comp(5) for s in segments if s.tag == "UNB"]

    def acknowledged_sets(self, found: Found) -> dict[str, tuple[bool, str]]:
        """What a CONTRL says of each message (UCM 0062 -> action): accepted, and "UCM 4/29"-like status."""
        out: dict[str, tuple[bool, str]] = {}
        for s in found.body:
            if s.tag == "UCM":
                action, code = s.comp(3), s.comp(4)
                out[control_key(s.comp(1))] = (action == ACCEPTED, "UCM " + "/".join(x for x in (action, code) if x))
        return out

    def outbound_sets(self, payload: bytes) -> list[str]:
        _una, segments = parse(payload)
        return [control_key(s.comp(1)) for s in segments if s.tag == "UNH"]

    def lines(self, payload: bytes) -> list[str] | None:
        try:
            una, segments = parse(payload)
        except Exception:
            return None
        return [serialize([s], una).removeprefix(una.text()) for s in segments]


STANDARD = register(Edifact())
