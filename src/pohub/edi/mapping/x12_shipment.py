"""856 ship notice <-> canonical shipments.

The hierarchy is S (shipment) / O (order) / P (pack) / I (item). Each pack is a carton: its items become
one ShipmentInfo on each line they carry (Qty = SN102, ContainerCode = MAN02 SSCC-18, TrackingNumber =
REF 2I). Items directly under O have no carton. An 856 with several O levels is several shipments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pohub.documents.logicbroker import Shipment
from pohub.edi.mapping.common import Doc, MappingError, clean, from_x12, num, x12_date, x12_time
from pohub.edi.mapping.x12_parts import dtm, pairs, parties, read_dtm, read_pairs, read_parties, seg
from pohub.edi.x12.segments import Segment

SHIPPED, DELIVERY = "011", "017"  # DTM01
REFERENCES = (("BM", "BillofLading"), ("CN", "PRONumber"))  # REF01 at the S level
TRACKING = "2I"  # REF01 at the P level
SSCC = "GM"  # MAN01


def _carton_key(info: Doc, index: int) -> str:
    return str(info.get("ContainerCode") or info.get("TrackingNumber") or f"#{index}")


def shipment_to_856(shipment: Shipment) -> list[Segment]:
    """The body of an 856 (BSN .. CTT) for one canonical shipment."""
    doc = shipment.model_dump(by_alias=True, exclude_none=True)
    if not doc.get("ShipmentNumber"):
        raise MappingError("ShipmentNumber", "an 856 needs a shipment identification (BSN02)")
    when = doc.get("ShipmentDate") or doc.get("DocumentDate")
    if not when:
        raise MappingError("ShipmentDate", "an 856 needs a date (BSN03)")
    out = [seg("BSN", "00", doc["ShipmentNumber"], x12_date(when), x12_time(when) or "0000", "0001")]
    out.append(seg("HL", 1, "", "S", 1))
    out += [seg("REF", code, doc[name]) for code, name in REFERENCES if doc.get(name)]
    if doc.get("ShipmentDate"):
        out.append(dtm(SHIPPED, doc["ShipmentDate"]))
    if doc.get("ExpectedDeliveryDate"):
        out.append(dtm(DELIVERY, doc["ExpectedDeliveryDate"]))
    out += parties(doc)
    order_date = x12_date(doc["OrderDate"]) if doc.get("OrderDate") else ""
    out.append(seg("HL", 2, 1, "O", 1))
    out.append(seg("PRF", doc.get("PartnerPO"), "", "", order_date))
    number = 2
    cartons: dict[str, tuple[Doc, list[tuple[Doc, int]]]] = {}
    loose: list[Doc] = []
    for line in doc["ShipmentLines"]:
        infos = line.get("ShipmentInfos") or []
        if not infos:
            loose.append(line)
        for i, info in enumerate(infos):
            cartons.setdefault(_carton_key(info, i), (info, []))[1].append((line, info.get("Qty") or 0))
    for i, line in enumerate(loose):
        if line.get("Quantity") is None:
            raise MappingError(f"ShipmentLines[{i}].Quantity", "a line without cartons needs its quantity (SN102)")
        number += 1
        out += _item(number, 2, line, line["Quantity"])
    for info, items in cartons.values():
        number += 1
        pack = number
        out.append(seg("HL", pack, 2, "P", 1))
        if info.get("Weight") is not None:
            out.append(seg("TD1", "", "", "", "", "", "G", num(info["Weight"]), info.get("WeightUnit") or "LB"))
        if info.get("CarrierCode"):
            out.append(seg("TD5", "", "2", info["CarrierCode"]))
        if info.get("TrackingNumber"):
            out.append(seg("REF", TRACKING, info["TrackingNumber"]))
        if info.get("ContainerCode"):
            out.append(seg("MAN", SSCC, info["ContainerCode"]))
        for line, qty in items:
            number += 1
            out += _item(number, pack, line, qty)
    out.append(seg("CTT", number))
    return out


def _item(number: int, parent: int, line: Doc, qty: int) -> list[Segment]:
    out = [seg("HL", number, parent, "I", 0), seg("LIN", line.get("LineNumber"), *pairs(line))]
    out.append(seg("SN1", "", qty, line.get("QuantityUOM") or "EA"))
    if line.get("Description"):
        out.append(seg("PID", "F", "", "", "", line["Description"]))
    return out


def x12_856_to_shipments(body: list[Segment]) -> list[Shipment]:
    """One canonical shipment per order (HL O) of an 856."""
    header: dict[str, Any] = {}
    shipments: list[dict[str, Any]] = []
    level = ""
    levels: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    cartons: dict[str, dict[str, Any]] = {}
    current_line: dict[str, Any] | None = None
    s_segments: list[Segment] = []
    refs = dict(REFERENCES)
    for s in body:
        if s.id == "BSN":
            header["ShipmentNumber"] = s.get(2)
        elif s.id == "HL":
            level = s.get(3)
            levels[s.get(1)], parent_of[s.get(1)] = level, s.get(2)
            current_line = None
            if level == "O":
                shipments.append({"ShipmentLines": []})
            elif level in ("P", "T"):
                cartons[s.get(1)] = {}
            elif level == "I":
                current_line = {"_parent": s.get(2), "ItemIdentifier": {}}
                if shipments:
                    shipments[-1]["ShipmentLines"].append(current_line)
        elif level == "S":
            s_segments.append(s)
            if s.id == "REF" and s.get(1) in refs:
                header[refs[s.get(1)]] = s.get(2)
            elif s.id == "DTM" and s.get(1) in (SHIPPED, DELIVERY):
                header["ShipmentDate" if s.get(1) == SHIPPED else "ExpectedDeliveryDate"] = read_dtm(s)
        elif level == "O" and s.id == "PRF" and shipments:
            shipments[-1].update({"PartnerPO": s.get(1), "OrderDate": from_x12(s.get(4)) if s.get(4) else None})
        elif level in ("P", "T"):
            carton = cartons[next(reversed(cartons))]
            if s.id == "MAN" and s.get(1) == SSCC:
                carton["ContainerCode"] = s.get(2)
            elif s.id == "REF" and s.get(1) == TRACKING:
                carton["TrackingNumber"] = s.get(2)
            elif s.id == "TD5" and s.get(3):
                carton["CarrierCode"] = s.get(3)
            elif s.id == "TD1" and s.get(7):
                carton.update({"Weight": Decimal(s.get(7)), "WeightUnit": s.get(8)})
        elif level == "I" and current_line is not None:
            if s.id == "LIN":
                current_line["LineNumber"] = s.get(1)
                read_pairs(s, 2, current_line)
            elif s.id == "SN1":
                current_line.update({"Quantity": int(Decimal(s.get(2))), "QuantityUOM": s.get(3)})
            elif s.id == "PID" and s.get(5):
                current_line["Description"] = s.get(5)
    read_parties(s_segments, header)
    return [
        Shipment.model_validate(
            clean({**header, **doc, "ShipmentLines": _merge(doc["ShipmentLines"], levels, cartons)})
        )
        for doc in shipments
    ]


def _merge(items: list[dict[str, Any]], levels: dict[str, str], cartons: dict[str, dict[str, Any]]) -> list[Doc]:
    """Items of the same line in several cartons become one line with a ShipmentInfo per carton."""
    lines: dict[tuple[Any, ...], Doc] = {}
    for item in items:
        parent = item.pop("_parent")
        key = (item.get("LineNumber"), tuple(sorted((item.get("ItemIdentifier") or {}).items())))
        line = lines.get(key)
        if line is None:
            line = lines[key] = {**item, "Quantity": 0}
        line["Quantity"] += item.get("Quantity") or 0
        if levels.get(parent) in ("P", "T"):
            line.setdefault("ShipmentInfos", []).append({**cartons[parent], "Qty": item.get("Quantity")})
    return in_line_order(list(lines.values()))


def in_line_order(lines: list[Doc]) -> list[Doc]:
    """Lines by number when every line has a numeric one (cartons and loose items interleave), else as read."""
    numbers = [str(line.get("LineNumber") or "") for line in lines]
    if all(n.isdigit() for n in numbers):
        return [line for _, line in sorted(zip((int(n) for n in numbers), lines, strict=True), key=lambda p: p[0])]
    return lines
