"""Segments: the elements of each, in order, with M (mandatory), O (optional) or X (conditional).

``...`` at the end lets further elements through unchecked; ``*`` marks a segment pohub places in its
set but whose elements it neither checks nor maps (docs/edi.md lists them). ``PAIRS(n)`` stands for n
product id pairs (235 qualifier, 234 id), as PO1, IT1, ACK and LIN carry them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ElementUse:
    ref: str
    required: bool


@dataclass(frozen=True)
class SegmentDef:
    id: str
    elements: tuple[ElementUse, ...] | None  # None: not checked
    open_ended: bool = False  # more elements than listed are allowed


_TABLE = """
GS M479 M142 M124 M373 M337 M28 M455 M480
GE M97 M28
ST M143 M329 O1705
SE M96 M329
BEG M353 M92 M324 O328 M373 O367 O587 O1019 O1166 O1232 O786 O640
BAK M353 M587 M324 M373 O328 O326 O367 O127 O373 O640 O1019
BSN M353 M396 M373 M337 O1005 X640 O641 ...
BIG M373 M76 O373 O324 O328 O327 O640 O353 O306 O76
BCH M353 M92 M324 O328 O327 M373 O127 O373 O367 O373 O1019 ...
BCA M353 M587 O92 M324 O328 O327 O373 O373 O127 O373 ...
CUR M98 M100 ...
REF M128 X127 X352 OC040
PER M366 O93 X365 X364 X365 X364 X365 X364 O443
DTM M374 X373 X337 O623 X1250 X1251
ITD O336 O333 O338 X370 X351 X446 O386 O362 O388 O389 X342 O352 X765 O107 X954
TD5 O133 X66 X67 X91 X387 X368 O309 X310 X731 X732 X733 X284 ...
TD1 O103 X80 O23 X22 X79 X187 X81 X355 X183 X355
N1 M98 X93 X66 X67 O706 O98
N2 M93 O93
N3 M166 O166
N4 O19 O156 O116 O26 X309 O310 O1715
PO1 O350 X330 O355 X212 O639 PAIRS(10)
IT1 O350 X358 X355 X212 O639 PAIRS(10)
POC M350 M670 X330 X671 XC001 X212 O639 PAIRS(10)
ACK M668 X380 X355 X374 O373 O326 PAIRS(10) O559 O822 O1271
PID M349 O750 X559 X751 X352 O752 O822 O1073 O819
SAC M248 X1300 X559 X1301 O610 X378 X332 X118 X355 X380 X380 X331 X127 O770 X352 O819
TXI M963 X782 X954 X955 X956 X441 O662 X828 O325 O350
CTT M354 O347 X81 X355 X183 X355 O352
AMT M522 M782 O478
TDS M610 O610 O610 O610
HL M628 O734 M735 O736
LIN O350 PAIRS(15)
SN1 O350 M382 M355 O646 O330 O355 O728 O668
PRF M324 O328 O327 O373 O367 O92
MAN M88 M87 O87 X88 X87 X87
N9 M128 X127 X369 O373 O337 O623 OC040
MSG M933 X934 O1470
BGN M353 M127 M373 O337 O623 O127 O640 O306 O786
BIA M353 M755 M127 M373 O337 ...
QTY M673 X380 XC001 ...
SCH M380 M355 X98 X93 M374 M373 ...
CTP O687 X236 X212 ...
LDT M345 M380 O344 O373
AK1 M479 M28 O480
AK2 M143 M329 O1705
AK3 M721 M719 O447 O720
AK4 MC030 O725 M723 O724
AK5 M717 O718 O718 O718 O718 O718
AK9 M715 M97 M123 M2 O716 O716 O716 O716 O716
ITA *
PKG *
PO4 *
CSH *
TD3 *
TD4 *
FOB *
CAD *
ISS *
MEA *
DIS *
PWK *
SI *
PO3 *
TAX *
SLN *
"""


def _uses(words: list[str]) -> tuple[tuple[ElementUse, ...], bool]:
    uses: list[ElementUse] = []
    open_ended = False
    for word in words:
        if word == "...":
            open_ended = True
        elif word.startswith("PAIRS("):
            for _ in range(int(word[6:-1])):
                uses += [ElementUse("235", False), ElementUse("234", False)]
        else:
            uses.append(ElementUse(word[1:], word[0] == "M"))
    return tuple(uses), open_ended


def _parse(table: str) -> dict[str, SegmentDef]:
    out: dict[str, SegmentDef] = {}
    for line in table.strip().splitlines():
        seg_id, *words = line.split()
        if words == ["*"]:
            out[seg_id] = SegmentDef(seg_id, None, True)
        else:
            uses, open_ended = _uses(words)
            out[seg_id] = SegmentDef(seg_id, uses, open_ended)
    return out


SEGMENTS: dict[str, SegmentDef] = _parse(_TABLE)
