"""DESADV (D.96A) <-> canonical shipment: CPS 1 the consignment, CPS n (parent 1) a carton with PAC,
PCI/RFF CN (tracking) and GIN BJ (SSCC-18), its LIN/QTY 12 lines under it."""

from __future__ import annotations

from typing import Any

from pohub.documents.logicbroker import Shipment
from pohub.edi.edifact.syntax import Seg
from pohub.edi.mapping.common import MappingError, clean, num
from pohub.edi.mapping.edifact_parts import amount, dtm, item, parties, qty, read_dtm, read_item, read_parties
from pohub.edi.mapping.x12_shipment import in_line_order

DESPATCHED = "12"
REFERENCES = (("BM", "BillofLading"), ("CN", "PRONumber"))


def shipment_to_desadv(shipment: Shipment) -> list[Seg]:
    """The body of a DESADV (BGM .. CNT) for one canonical shipment."""
    doc = shipment.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("ShipmentNumber"):
        raise MappingError("ShipmentNumber", "a DESADV needs its number (BGM 1004)")
    when = doc.get("ShipmentDate") or doc.get("DocumentDate")
    if not when:
        raise MappingError("ShipmentDate", "a DESADV needs a date (DTM 137)")
    out = [Seg.of("BGM", "351", doc["ShipmentNumber"], "9"), dtm("137", when)]
    if doc.get("ShipmentDate"):
        out.append(dtm("11", doc["ShipmentDate"]))
    if doc.get("ExpectedDeliveryDate"):
        out.append(dtm("17", doc["ExpectedDeliveryDate"]))
    if doc.get("PartnerPO"):
        out.append(Seg.of("RFF", ("ON", doc["PartnerPO"])))
        if doc.get("OrderDate"):
            out.append(dtm("171", doc["OrderDate"]))
    out += [Seg.of("RFF", (code, doc[name])) for code, name in REFERENCES if doc.get(name)]
    out += parties(doc)
    out.append(Seg.of("CPS", "1"))
    cartons: dict[str, tuple[dict[str, Any], list[tuple[dict[str, Any], int]]]] = {}
    for i, line in enumerate(doc["ShipmentLines"]):
        infos = line.get("ShipmentInfos") or []
        if not infos:
            if line.get("Quantity") is None:
                raise MappingError(f"ShipmentLines[{i}].Quantity", "a line without cartons needs its quantity")
            out += [*item(line, i + 1), qty(DESPATCHED, line["Quantity"], line.get("QuantityUOM"))]
        for j, info in enumerate(infos):
            key = str(info.get("ContainerCode") or info.get("TrackingNumber") or f"#{j}")
            cartons.setdefault(key, (info, []))[1].append((line, info.get("Qty") or 0))
    count = 0
    for number, (info, items) in enumerate(cartons.values(), start=2):
        out += [Seg.of("CPS", number, "1"), Seg.of("PAC", "1", "", info.get("ContainerType") or "CT")]
        if info.get("Weight") is not None:
            out.append(Seg.of("MEA", "AAE", "G", (info.get("WeightUnit") or "LBR", num(info["Weight"]))))
        if info.get("TrackingNumber") or info.get("ContainerCode"):
            out.append(Seg.of("PCI", "33E"))
            if info.get("TrackingNumber"):
                out.append(Seg.of("RFF", ("CN", info["TrackingNumber"])))
            if info.get("ContainerCode"):
                out.append(Seg.of("GIN", "BJ", info["ContainerCode"]))
        for line, q in items:
            count += 1
            out += [*item(line, count), qty(DESPATCHED, q, line.get("QuantityUOM"))]
    lines_total = sum(1 for s in out if s.tag == "LIN")
    out.append(Seg.of("CNT", ("2", lines_total)))
    return out


def desadv_to_shipment(body: list[Seg]) -> Shipment:
    """A canonical shipment from a DESADV message (UNH .. UNT)."""
    doc: dict[str, Any] = {}
    refs = dict(REFERENCES)
    first_cps = next((i for i, s in enumerate(body) if s.tag == "CPS"), len(body))
    for s in body[:first_cps]:
        if s.tag == "BGM":
            doc["ShipmentNumber"] = s.comp(2)
        elif s.tag == "DTM" and s.comp(1, 1) in ("11", "17", "171"):
            doc[{"11": "ShipmentDate", "17": "ExpectedDeliveryDate", "171": "OrderDate"}[s.comp(1, 1)]] = read_dtm(s)
        elif s.tag == "RFF" and s.comp(1, 1) == "ON":
            doc["PartnerPO"] = s.comp(1, 2)
        elif s.tag == "RFF" and s.comp(1, 1) in refs:
            doc[refs[s.comp(1, 1)]] = s.comp(1, 2)
    read_parties(body[:first_cps], doc)
    lines: dict[tuple[Any, ...], dict[str, Any]] = {}
    carton: dict[str, Any] | None = None
    current: dict[str, Any] | None = None

    def flush() -> None:
        if current is None:
            return
        key = (current.get("LineNumber"), tuple(sorted(current["ItemIdentifier"].items())))
        line = lines.setdefault(key, {**current, "Quantity": 0})
        line["Quantity"] += current.get("Quantity") or 0
        if carton is not None:
            line.setdefault("ShipmentInfos", []).append({**carton, "Qty": current.get("Quantity")})

    for s in body[first_cps:]:
        if s.tag == "CPS":
            flush()
            current = None
            carton = {} if s.comp(2) else None
        elif s.tag == "PAC" and carton is not None and s.comp(3) != "CT":
            carton["ContainerType"] = s.comp(3)
        elif s.tag == "MEA" and carton is not None and current is None and s.comp(2) == "G":
            carton.update({"Weight": amount(s.comp(3, 2)), "WeightUnit": s.comp(3, 1)})
        elif s.tag == "RFF" and carton is not None and current is None and s.comp(1, 1) == "CN":
            carton["TrackingNumber"] = s.comp(1, 2)
        elif s.tag == "GIN" and carton is not None and s.comp(1) == "BJ":
            carton["ContainerCode"] = s.comp(2, 1)
        elif s.tag == "LIN":
            flush()
            current = {"ItemIdentifier": {}}
            read_item(s, current)
        elif current is not None and s.tag in ("PIA", "IMD"):
            read_item(s, current)
        elif current is not None and s.tag == "QTY" and s.comp(1, 1) == DESPATCHED:
            current.update({"Quantity": int(amount(s.comp(1, 2))), "QuantityUOM": s.comp(1, 3)})
    flush()
    doc["ShipmentLines"] = in_line_order(list(lines.values()))
    return Shipment.model_validate(clean(doc))
