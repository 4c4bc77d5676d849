"""The D.96A messages pohub reads and writes, as data: sections, mandatory segments, mapped codes."""

from __future__ import annotations

from dataclasses import dataclass

_HEADER = frozenset(
    [
        "BGM",
        "DTM",
        "PAI",
        "ALI",
        "IMD",
        "FTX",
        "RFF",
        "NAD",
        "LOC",
        "FII",
        "CTA",
        "COM",
        "TAX",
        "MOA",
        "CUX",
        "PAT",
        "TDT",
        "TOD",
        "PAC",
        "PCI",
        "GIN",
        "EQD",
        "ALC",
        "PCD",
        "RNG",
        "QTY",
        "SCC",
        "APR",
        "RCS",
        "DGS",
        "MEA",
        "GIS",
    ]
)
_DETAIL = frozenset(
    [
        "LIN",
        "PIA",
        "IMD",
        "MEA",
        "QTY",
        "PCD",
        "ALI",
        "DTM",
        "MOA",
        "GIN",
        "GIR",
        "QVR",
        "DOC",
        "PAI",
        "FTX",
        "PRI",
        "APR",
        "RNG",
        "RFF",
        "LOC",
        "TAX",
        "NAD",
        "CTA",
        "COM",
        "ALC",
        "TDT",
        "TOD",
        "PAC",
        "PCI",
        "EQD",
        "SCC",
        "RCS",
        "DGS",
        "HAN",
    ]
)
_SUMMARY = frozenset(["MOA", "CNT", "ALC", "RNG", "TAX"])


@dataclass(frozen=True)
class MessageSpec:
    type: str
    documents: frozenset[str]  # BGM 1001
    functions: frozenset[str] | None  # BGM 1225 pohub maps (None: any)
    quantities: frozenset[str]  # QTY 6063 qualifiers pohub maps
    line_actions: frozenset[str] | None = None  # LIN 1229
    mandatory: tuple[tuple[str, str], ...] = (("BGM", ""), ("DTM", "137"), ("UNS", ""))
    line_required: bool = True
    line_tag: str = "LIN"  # first segment of the detail section
    header: frozenset[str] = _HEADER
    detail: frozenset[str] = _DETAIL
    summary: frozenset[str] = _SUMMARY
    hash_quantity: str = ""  # CNT 1 (algebraic total of quantities) sums QTY of this qualifier


MESSAGES: dict[str, MessageSpec] = {
    "ORDERS": MessageSpec(
        "ORDERS", frozenset({"220", "105"}), frozenset({"9", "7", "31"}), frozenset({"21"}), hash_quantity="21"
    ),
    "ORDCHG": MessageSpec(
        "ORDCHG",
        frozenset({"230"}),
        frozenset({"1", "4", "5"}),
        frozenset({"21"}),
        frozenset({"1", "2", "3"}),
        line_required=False,  # a cancellation of the whole order (BGM 1225 1) has no lines
        hash_quantity="21",
    ),
    # Line figures: QTY 21 ordered, 113 accepted (to be delivered), 83 backordered; the rest is cancelled.
    "ORDRSP": MessageSpec(
        "ORDRSP",
        frozenset({"231"}),
        frozenset({"27", "29", "30", "9"}),
        frozenset({"21", "113", "83"}),
        frozenset({"2", "3", "5", "6", "7"}),
        line_required=False,
        hash_quantity="21",
    ),
    "DESADV": MessageSpec(
        "DESADV",
        frozenset({"351"}),
        frozenset({"9", "7", "31"}),
        frozenset({"12"}),
        mandatory=(("BGM", ""), ("DTM", "137")),
        line_tag="CPS",
        detail=_DETAIL | {"CPS", "PAC", "PCI", "GIN", "GIR", "SGP", "HAN", "MEA", "EQD", "CNT"},
        summary=frozenset({"CNT"}),
        hash_quantity="12",
    ),
    "INVOIC": MessageSpec(
        "INVOIC",
        frozenset({"380"}),
        frozenset({"9", "7", "31"}),
        frozenset({"47"}),
        mandatory=(("BGM", ""), ("DTM", "137"), ("UNS", ""), ("MOA", "77")),
        hash_quantity="47",
    ),
    "CONTRL": MessageSpec(
        "CONTRL",
        frozenset(),
        None,
        frozenset(),
        mandatory=(("UCI", ""),),
        line_required=False,
        line_tag="UCM",
        header=frozenset({"UCI"}),
        detail=frozenset({"UCM", "UCS", "UCD"}),
        summary=frozenset(),
    ),
}

# Date formats (2379) pohub reads, with the digits each has.
DATE_FORMATS: dict[str, int] = {"102": 8, "203": 12, "204": 14}
