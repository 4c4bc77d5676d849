"""Transaction set structures (004010, which 005010 keeps for these sets): segments and loops in order.

Written as an outline: ``ID req max``; ``[ID req max`` opens a loop whose first segment is its trigger,
``]`` closes it; ``>1`` is unbounded. Each set names its functional group (GS01) and its control totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNBOUNDED = 10**9


@dataclass(frozen=True)
class Use:
    id: str
    required: bool
    max: int


@dataclass(frozen=True)
class Loop:
    id: str
    required: bool
    max: int
    children: tuple[Use | Loop, ...] = ()

    @property
    def trigger(self) -> str:
        first = self.children[0]
        return first.id if isinstance(first, Use) else first.trigger


@dataclass(frozen=True)
class SetSpec:
    id: str
    functional_id: str  # GS01 of the group it travels in
    structure: Loop
    line_segment: str  # CTT01 counts these ("HL" in an 856)
    hash_sources: tuple[tuple[str, int], ...]  # CTT02 is the sum of one of these elements
    restricted: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)

    def segment_ids(self) -> set[str]:
        return _ids(self.structure)


def _ids(loop: Loop) -> set[str]:
    out: set[str] = set()
    for child in loop.children:
        out |= {child.id} if isinstance(child, Use) else _ids(child)
    return out


def _parse(outline: str, name: str) -> Loop:
    stack: list[tuple[str, bool, int, list[Use | Loop]]] = [(name, True, 1, [])]
    for raw in outline.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "]":
            loop_id, req, most, kids = stack.pop()
            stack[-1][3].append(Loop(loop_id, req, most, tuple(kids)))
            continue
        opens = line.startswith("[")
        seg_id, requirement, occurs = line.lstrip("[").split()
        limit = UNBOUNDED if occurs == ">1" else int(occurs)
        if opens:
            stack.append((seg_id, requirement == "M", limit, [Use(seg_id, True, 1)]))
        else:
            stack[-1][3].append(Use(seg_id, requirement == "M", limit))
    if len(stack) != 1:
        raise ValueError(f"{name}: unclosed loop in outline")
    loop_id, req, most, kids = stack[0]
    return Loop(loop_id, req, most, tuple(kids))


_HEADER_COMMON = """
CUR O 1
REF O >1
PER O 3
TAX O >1
FOB O >1
CTP O >1
PAM O 10
CSH O 5
TC2 O >1
[SAC O 25
 CUR O 1
]
ITD O >1
DIS O 20
INC O 1
DTM O 10
LDT O 12
LIN O 5
SI O >1
[PID O 200
 MEA O 10
]
MEA O 40
PWK O 25
PKG O 200
TD1 O 2
TD5 O 12
TD3 O 12
TD4 O 5
MAN O 10
PCT O >1
CTB O 5
TXI O >1
[AMT O >1
 REF O 1
 DTM O 1
 PCT O >1
]
[N9 O 1000
 DTM O >1
 MSG O 1000
]
[N1 O 200
 N2 O 2
 N3 O 2
 N4 O >1
 NX2 O >1
 REF O 12
 PER O >1
 SI O >1
 FOB O 1
 TD1 O 2
 TD5 O 12
 TD3 O 12
 TD4 O 5
 PKG O 200
]
"""

_LINE_BODY = """
 LIN O >1
 SI O >1
 CUR O 1
 CN1 O 1
 PO3 O 25
 [CTP O >1
  CUR O 1
 ]
 PAM O 10
 MEA O 40
 [PID O 1000
  MEA O 10
 ]
 PWK O 25
 PO4 O >1
 REF O >1
 PER O 3
 [SAC O 25
  CUR O 1
  CTP O 1
 ]
 IT8 O 1
 CSH O >1
 ITD O 2
 DIS O 20
 INC O 1
 TAX O >1
 FOB O >1
 SDQ O 500
 IT3 O 5
 DTM O 10
 TC2 O >1
 TD1 O 1
 TD5 O 12
 TD3 O 12
 TD4 O 5
 PCT O >1
 MAN O 10
 MSG O >1
 SPI O >1
 TXI O >1
 CTB O >1
 [QTY O >1
  SI O >1
 ]
 {ack}
 [SCH O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  TD4 O 5
  REF O >1
 ]
 [N9 O 1000
  DTM O >1
  MSG O 1000
 ]
 [N1 O 200
  N2 O 2
  N3 O 2
  N4 O 1
  QTY O >1
  NX2 O >1
  REF O 12
  PER O 3
  SI O >1
  DTM O 1
  FOB O 1
  SCH O 200
  TD1 O 2
  TD5 O 12
  TD3 O 12
  TD4 O 5
  PKG O 200
 ]
 [SLN O 1000
  MSG O 100
  SI O >1
  PID O 1000
  PO3 O 104
  TC2 O >1
  ADV O >1
  DTM O 10
  CTP O 25
  PAM O 10
  PO4 O 1
  TAX O 3
 ]
 [AMT O >1
  PCT O >1
 ]
"""

_ACK_LOOP = """[ACK O 104
  DTM O 1
 ]"""

_SUMMARY = """
[CTT O 1
 AMT O 1
]
SE M 1
"""


def _order_like(begin: str, line: str, with_ack: bool, lines_required: bool = False) -> str:
    body = _LINE_BODY.replace("{ack}", _ACK_LOOP if with_ack else "")
    req = "M" if lines_required else "O"
    return f"ST M 1\n{begin} M 1\n{_HEADER_COMMON}\n[{line} {req} 100000\n{body}]\n{_SUMMARY}"


_856 = """
ST M 1
BSN M 1
DTM O 10
[HL M 200000
 LIN O 1
 SN1 O 1
 SLN O >1
 PRF O 1
 PO4 O 1
 PID O 200
 MEA O 40
 PWK O 25
 PKG O 25
 TD1 O 20
 TD5 O 12
 TD3 O 12
 TD4 O 5
 TSD O 1
 REF O >1
 PER O >1
 [CLD O 200
  REF O 200
  DTM O 1
 ]
 MAN O >1
 DTM O 10
 FOB O 1
 PAL O 1
 [N1 O 200
  N2 O 2
  N3 O 2
  N4 O 1
  REF O 12
  PER O 3
  FOB O 1
 ]
 SDQ O 50
 ETD O 1
 CUR O 1
 [SAC O >1
  CUR O 1
 ]
]
CTT O 1
SE M 1
"""

_810 = """
ST M 1
BIG M 1
NTE O 100
CUR O 1
REF O 12
YNQ O 10
PER O 3
[N1 O 200
 N2 O 2
 N3 O 2
 N4 O 1
 REF O 12
 PER O 3
 DMG O 1
]
ITD O >1
DTM O 10
FOB O 1
PID O 200
MEA O 40
PWK O 25
PKG O 25
L7 O 1
BAL O >1
INC O 1
PAM O >1
[N9 O 1
 MSG O 10
]
[IT1 O 200000
 CRC O 1
 QTY O 5
 CUR O 1
 IT3 O 5
 TXI O 10
 CTP O 25
 PAM O 10
 MEA O 40
 [PID O 1000
  MEA O 10
 ]
 PWK O 25
 PKG O 25
 PO4 O 1
 ITD O 2
 REF O >1
 YNQ O 10
 PER O 5
 SDQ O 500
 DTM O 10
 CAD O >1
 L7 O >1
 SR O 1
 [SAC O 25
  TXI O 10
 ]
 [SLN O 1000
  DTM O 1
  REF O >1
  PID O 1000
  SAC O 25
  TC2 O 2
  TXI O 10
 ]
 [N1 O 200
  N2 O 2
  N3 O 2
  N4 O 1
  REF O 12
  PER O 3
  DMG O 1
 ]
]
TDS M 1
TXI O 10
CAD O 1
AMT O >1
[SAC O 25
 TXI O 10
]
[ISS O >1
 PID O 1
]
CTT O 1
SE M 1
"""

# pohub's reading of the 846: one LIN loop per SKU, its stock in QTY (+ SCH for the next availability),
# each warehouse an N1 loop with its own QTY / SCH.
_846 = """
ST M 1
BIA M 1
CUR O 1
REF O 12
PER O 3
MEA O 10
DTM O 10
[N1 O 200
 N2 O 2
 N3 O 2
 N4 O 1
 REF O 12
 PER O 3
]
[LIN M 10000
 SI O >1
 PID O 200
 DTM O 10
 REF O >1
 PER O 3
 MEA O 40
 CTP O 25
 LDT O 12
 [QTY O >1
  SCH O >1
 ]
 [N1 O >1
  N2 O 2
  N3 O 2
  N4 O 1
  REF O 12
  PER O 3
  [QTY O >1
   SCH O >1
  ]
 ]
]
CTT O 1
SE M 1
"""

# pohub's reading of the 180: the buyer's return (BGN01 00) with one LIN loop per line, or the
# supplier's answer (BGN01 11) without lines.
_180 = """
ST M 1
BGN M 1
CUR O 1
REF O >1
PER O 3
DTM O 10
[N9 O >1
 DTM O >1
 MSG O 1000
]
[N1 O 200
 N2 O 2
 N3 O 2
 N4 O 1
 REF O 12
 PER O 3
]
[LIN O 200000
 PID O 200
 REF O >1
 DTM O 10
 QTY O >1
 CTP O 25
 [N9 O >1
  MSG O 1000
 ]
]
CTT O 1
SE M 1
"""

_997 = """
ST M 1
AK1 M 1
[AK2 O 999999
 [AK3 O 999999
  AK4 O 99
 ]
 AK5 M 1
]
AK9 M 1
SE M 1
"""

SETS: dict[str, SetSpec] = {
    "850": SetSpec(
        "850",
        "PO",
        _parse(_order_like("BEG", "PO1", False, True), "850"),
        "PO1",
        (("PO1", 2),),
        {("BEG", 1): frozenset({"00", "06", "07"})},
    ),
    # 855 guides sum CTT02 from PO102, some (node-x12's sample) from ACK02: either is accepted.
    "855": SetSpec(
        "855",
        "PR",
        _parse(_order_like("BAK", "PO1", True), "855"),
        "PO1",
        (("PO1", 2), ("ACK", 2)),
        {("BAK", 1): frozenset({"00", "06", "07"})},
    ),
    "860": SetSpec(
        "860",
        "PC",
        _parse(_order_like("BCH", "POC", False), "860"),
        "POC",
        (("POC", 3),),
        {("BCH", 1): frozenset({"01", "04"})},
    ),
    "865": SetSpec("865", "CA", _parse(_order_like("BCA", "POC", True), "865"), "POC", (("POC", 3),)),
    "856": SetSpec(
        "856",
        "SH",
        _parse(_856, "856"),
        "HL",
        (("SN1", 2),),
        {("BSN", 1): frozenset({"00", "06", "07"})},
    ),
    "810": SetSpec("810", "IN", _parse(_810, "810"), "IT1", (("IT1", 2),)),
    "846": SetSpec(
        "846",
        "IB",
        _parse(_846, "846"),
        "LIN",
        (),
        {("BIA", 1): frozenset({"00"}), ("QTY", 1): frozenset({"17", "33"}), ("SCH", 5): frozenset({"018"})},
    ),
    "180": SetSpec(
        "180",
        "AN",
        _parse(_180, "180"),
        "LIN",
        (("QTY", 2),),
        {("BGN", 1): frozenset({"00", "11"}), ("QTY", 1): frozenset({"01"})},
    ),
    "997": SetSpec("997", "FA", _parse(_997, "997"), "", ()),
}

KNOWN_SEGMENTS: frozenset[str] = frozenset().union(*(spec.segment_ids() for spec in SETS.values()))
