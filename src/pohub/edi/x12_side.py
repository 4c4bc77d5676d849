"""X12 as the exchanges pipeline sees it: read an interchange into a Reading, answer it (997 per
group, TA1 when due), and write pohub's own documents (850, 855, 856, 810) in an envelope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pohub.documents.logicbroker import Acknowledgement as AckDoc
from pohub.documents.logicbroker import Invoice, SalesOrder, Shipment
from pohub.edi import guides
from pohub.edi.guides import Guide
from pohub.edi.mapping.common import MappingError
from pohub.edi.mapping.x12_ack import acknowledgement_to_855, x12_855_to_acknowledgement
from pohub.edi.mapping.x12_change import change_to_860, reply_to_865, x12_860_to_change, x12_865_to_reply
from pohub.edi.mapping.x12_inventory import inventory_to_846, x12_846_to_inventory
from pohub.edi.mapping.x12_invoice import invoice_to_810, x12_810_to_invoice
from pohub.edi.mapping.x12_order import order_to_850, x12_850_to_order
from pohub.edi.mapping.x12_return import answer_to_180, is_answer, return_to_180, x12_180_to_answer, x12_180_to_return
from pohub.edi.mapping.x12_shipment import shipment_to_856, x12_856_to_shipments
from pohub.edi.reading import (
    CHANGE_ANSWER,
    RETURN_ANSWER,
    Acknowledgement,
    Envelope,
    Found,
    GroupNote,
    Numbers,
    Reading,
    control_key,
    register,
)
from pohub.edi.x12 import ack
from pohub.edi.x12.errors import X12Error
from pohub.edi.x12.reader import read_interchange
from pohub.edi.x12.segments import Segment
from pohub.edi.x12.tokenizer import tokenize
from pohub.edi.x12.writer import GroupOut, InterchangeOut, Party, render, wrap_set, write_interchange

Reader = Callable[[list[Segment], SalesOrder | None], list[BaseModel]]
Writer = Callable[[Any, SalesOrder | None], list[Segment]]


@dataclass(frozen=True)
class SetSpec:
    set_id: str
    functional_id: str  # GS01
    kind: str
    read: Reader | None
    write: Writer | None
    po: tuple[str, int] | None  # the segment and element naming the order's PartnerPO
    # When one set id carries several kinds: whether a set is this one (None: always).
    applies: Callable[[list[Segment]], bool] | None = None


SETS: tuple[SetSpec, ...] = (
    SetSpec("850", "PO", "order", lambda b, _o: [x12_850_to_order(b)], lambda d, _o: order_to_850(d), None),
    SetSpec(
        "855",
        "PR",
        "acknowledgement",
        lambda b, o: [x12_855_to_acknowledgement(b, o)],
        lambda d, o: acknowledgement_to_855(d, o),
        ("BAK", 3),
    ),
    SetSpec(
        "856",
        "SH",
        "shipment",
        lambda b, _o: list(x12_856_to_shipments(b)),
        lambda d, _o: shipment_to_856(d),
        ("PRF", 1),
    ),
    SetSpec("810", "IN", "invoice", lambda b, _o: [x12_810_to_invoice(b)], lambda d, _o: invoice_to_810(d), ("BIG", 4)),
    SetSpec(
        "860", "PC", "change", lambda b, o: [x12_860_to_change(b, o)], lambda d, o: change_to_860(d, o), ("BCH", 3)
    ),
    SetSpec(
        "865", "CA", CHANGE_ANSWER, lambda b, o: [x12_865_to_reply(b, o)], lambda d, o: reply_to_865(d, o), ("BCA", 4)
    ),
    SetSpec(
        "846",
        "IB",
        "inventory",
        lambda b, _o: [x12_846_to_inventory(b)],
        lambda d, _o: inventory_to_846(d),
        None,
    ),
    # A 180 is the buyer's return (BGN01 00) or the supplier's answer to it (BGN01 11).
    SetSpec(
        "180",
        "AN",
        RETURN_ANSWER,
        lambda b, _o: [x12_180_to_answer(b)],
        lambda d, _o: answer_to_180(d),
        None,
        is_answer,
    ),
    SetSpec("180", "AN", "return", lambda b, o: [x12_180_to_return(b, o)], lambda d, o: return_to_180(d, o), None),
    SetSpec("997", "FA", "functional_acknowledgement", None, None, None),
)


def spec_of(set_id: str, body: list[Segment]) -> SetSpec | None:
    """The spec a set is read by: the first of its id that applies to it."""
    return next((s for s in SETS if s.set_id == set_id and (s.applies is None or s.applies(body))), None)


BY_KIND = {s.kind: s for s in SETS}
MODELS: dict[str, type[BaseModel]] = {
    "order": SalesOrder,
    "acknowledgement": AckDoc,
    "shipment": Shipment,
    "invoice": Invoice,
}


def error_wire(e: X12Error) -> dict[str, Any]:
    return {
        "Level": e.level.value,
        "Code": e.code,
        "Segment": e.segment_id,
        "Position": e.position,
        "Element": e.element,
        "Value": e.bad_value or None,
        "Message": e.describe(),
    }


def _po(body: list[Segment], spec: SetSpec) -> str | None:
    if spec.po is None:
        return None
    seg_id, element = spec.po
    return next((s.get(element) for s in body if s.id == seg_id and s.get(element)), None)


class X12:
    name = "x12"
    content_type = "application/edi-x12"
    kinds: tuple[str, str | None, str] = ("isa", "gs", "st")

    def read(self, raw: bytes, guide: Guide | None = None) -> Reading:
        """Read and validate an interchange (against the partner's guide too, when given)."""
        extra = None
        if guide:

            def extra(set_id: str, body: list[Segment]) -> list[X12Error]:
                return guides.check_x12(body, guide[set_id]) if set_id in guide else []

        result = read_interchange(raw, extra)
        interchange = result.interchange
        errors = [error_wire(e) for e in result.errors]
        if interchange is None or result.delimiters is None:
            return Reading("x12", None, None, None, False, False, [], errors, [], result)
        isa = interchange.isa
        groups, found = [], []
        for group in interchange.groups:
            group_errors = [error_wire(e) for e in group.errors]
            accepted = 0
            for tset in group.sets:
                group_errors += [error_wire(e) for e in tset.errors]
                if group.errors or tset.errors:
                    continue
                accepted += 1
                spec = spec_of(tset.id, tset.body)
                if spec is not None:
                    text = render(tset.body, result.delimiters)
                    found.append(Found(tset.id, tset.control, spec.kind, tset.body, text, _po(tset.body, spec)))
            groups.append(GroupNote(group.functional_id, group.control, len(group.sets), accepted, group_errors))
            errors += group_errors
        return Reading(
            standard="x12",
            sender=(isa.get(5), isa.get(6).strip()),
            receiver=(isa.get(7), isa.get(8).strip()),
            control=isa.get(13),
            test=isa.get(15) == "T",
            accepted=result.accepted,
            groups=groups,
            errors=errors,
            found=found if result.accepted else [],
            native=result,
        )

    def groups_to_acknowledge(self, reading: Reading) -> int:
        return len(reading.groups)

    def acknowledge(self, reading: Reading, numbers: Numbers, date: datetime) -> Acknowledgement | None:
        result = reading.native
        if result.interchange is None:
            return None
        out = ack.acknowledgement(
            result, control=numbers.interchange, group_control=numbers.group, date=date, set_control=numbers.set
        )
        kind = "997" if out.groups else "TA1"
        return Acknowledgement(kind, write_interchange(out, result.delimiters))

    def map(self, found: Found, order: SalesOrder | None) -> list[BaseModel]:
        spec = BY_KIND[found.kind]
        assert spec.read is not None
        return spec.read(found.body, order)

    def write(
        self, kind: str, document: BaseModel, order: SalesOrder | None, envelope: Envelope, numbers: Numbers
    ) -> tuple[str, bytes]:
        """One document as an interchange of one group of one set; returns (set id, bytes)."""
        spec = BY_KIND.get(kind)
        if spec is None or spec.write is None:
            raise MappingError(kind, "pohub does not write this document in X12 yet (docs/edi.md)")
        body = spec.write(document, order)
        tset = wrap_set(spec.set_id, f"{numbers.set:04d}", body)
        out = InterchangeOut(
            sender=Party(*envelope.sender),
            receiver=Party(*envelope.receiver),
            control=numbers.interchange,
            date=envelope.date,
            groups=[
                GroupOut(
                    spec.functional_id,
                    numbers.group,
                    envelope.version,
                    [tset],
                    envelope.sender_group,
                    envelope.receiver_group,
                )
            ],
            usage="T" if envelope.test else "P",
        )
        return spec.set_id, write_interchange(out)

    def check(self, payload: bytes, guide: Guide | None = None) -> list[dict[str, Any]]:
        """Every error pohub's own reader (and the partner's guide) finds in an interchange pohub wrote."""
        return self.read(payload, guide).errors

    def acknowledged_groups(self, found: Found) -> list[tuple[str, bool, str]]:
        """What a 997 says of the groups it answers: (GS06 answered, accepted, AK9 status)."""
        ak1 = next((s for s in found.body if s.id == "AK1"), None)
        ak9 = next((s for s in found.body if s.id == "AK9"), None)
        if ak1 is None or ak9 is None:
            return []
        status = ak9.get(1)
        return [(str(int(ak1.get(2))) if ak1.get(2).isdigit() else ak1.get(2), status in ("A", "E"), status)]

    def outbound_groups(self, payload: bytes) -> list[str]:
        """The GS06 of every group of an interchange pohub wrote."""
        _delimiters, segments = tokenize(payload)
        return [str(int(s.get(6))) for s in segments if s.id == "GS" and s.get(6).isdigit()]

    def acknowledged_sets(self, found: Found) -> dict[str, tuple[bool, str]]:
        """What a 997 says of each set (AK2 ST02 -> AK5): accepted, and "AK5 R/5"-like status."""
        out: dict[str, tuple[bool, str]] = {}
        current: str | None = None
        for s in found.body:
            if s.id == "AK2":
                current = control_key(s.get(2))
            elif s.id == "AK5" and current is not None:
                status = "/".join(e for e in s.elements if e)
                out[current] = (s.get(1) in ("A", "E"), f"AK5 {status}")
                current = None
        return out

    def outbound_sets(self, payload: bytes) -> list[str]:
        """The ST02 of every set of an interchange pohub wrote."""
        _delimiters, segments = tokenize(payload)
        return [control_key(s.get(2)) for s in segments if s.id == "ST"]

    def lines(self, payload: bytes) -> list[str] | None:
        """One segment per line, for people to read."""
        try:
            delimiters, segments = tokenize(payload)
        except Exception:
            return None
        return [render([s], delimiters) for s in segments]


STANDARD = register(X12())
