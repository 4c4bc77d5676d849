"""ISA/GS/ST ... SE/GE/IEA: split an interchange into groups and sets, checking counts and control numbers.

Interchange errors carry TA1 note codes, group errors AK9 codes, set errors AK5 codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.segments import Segment

_QUALIFIERS = frozenset(
    [
        "01",
        "02",
        "03",
        "04",
        "07",
        "08",
        "09",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
        "26",
        "27",
        "28",
        "29",
        "30",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "AM",
        "NR",
        "SA",
        "SN",
        "ZZ",
    ]
)
# ISA element: (pattern, TA1 code when it does not match).
_ISA_RULES: dict[int, tuple[str, str]] = {
    1: (r"0[0-6]", "010"),
    2: (r".{10}", "011"),
    3: (r"0[01]", "012"),
    4: (r".{10}", "013"),
    6: (r".{15}", "006"),
    8: (r".{15}", "008"),
    9: (r"\d{6}", "014"),
    10: (r"([01]\d|2[0-3])[0-5]\d", "015"),
    12: (r"00[2-8]\d\d", "017"),
    13: (r"\d{9}", "018"),
    14: (r"[01]", "019"),
    15: (r"[PTI]", "020"),
}


@dataclass
class TransactionSet:
    st: Segment
    body: list[Segment]  # ST .. SE inclusive (SE may be missing)
    errors: list[X12Error] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.st.get(1)

    @property
    def control(self) -> str:
        return self.st.get(2)


@dataclass
class Group:
    gs: Segment
    sets: list[TransactionSet] = field(default_factory=list)
    errors: list[X12Error] = field(default_factory=list)
    ge: Segment | None = None

    @property
    def functional_id(self) -> str:
        return self.gs.get(1)

    @property
    def control(self) -> str:
        return self.gs.get(6)

    @property
    def version(self) -> str:
        return self.gs.get(8)


@dataclass
class Interchange:
    isa: Segment
    groups: list[Group] = field(default_factory=list)
    errors: list[X12Error] = field(default_factory=list)
    ta1s: list[Segment] = field(default_factory=list)  # interchange acknowledgements travelling in it

    @property
    def control(self) -> str:
        return self.isa.get(13)


def _count_is(text: str, n: int) -> bool:
    return text.isdigit() and int(text) == n


def _same_number(a: str, b: str) -> bool:
    return a == b or (a.isdigit() and b.isdigit() and int(a) == int(b))


def _err(level: Level, code: str, message: str, seg: Segment) -> X12Error:
    return X12Error(level, code, message, seg.id, seg.position)


def _check_isa(isa: Segment) -> list[X12Error]:
    errors = []
    if len(isa.elements) != 16:
        errors.append(_err(Level.INTERCHANGE, "022", f"ISA has {len(isa.elements)} elements, not 16", isa))
    for index, (pattern, code) in _ISA_RULES.items():
        if not re.fullmatch(pattern, isa.get(index)):
            errors.append(_err(Level.INTERCHANGE, code, f"ISA{index:02d} {isa.get(index)!r} is not valid", isa))
    for index, code in ((5, "005"), (7, "007")):
        if isa.get(index) not in _QUALIFIERS:
            errors.append(_err(Level.INTERCHANGE, code, f"ISA{index:02d} {isa.get(index)!r} is not a qualifier", isa))
    return errors


def _close_set(current: TransactionSet, se: Segment | None) -> None:
    if se is None:
        current.errors.append(_err(Level.SET, "2", f"ST {current.control} has no SE", current.st))
        return
    if se.get(2) != current.control:
        current.errors.append(_err(Level.SET, "3", f"SE02 {se.get(2)!r} does not match ST02 {current.control!r}", se))
    if not _count_is(se.get(1), len(current.body)):
        current.errors.append(
            _err(Level.SET, "4", f"SE01 says {se.get(1)!r} segments, the set has {len(current.body)}", se)
        )


def _close_group(group: Group, ge: Segment | None, anchor: Segment) -> None:
    group.ge = ge
    if ge is None:
        group.errors.append(_err(Level.GROUP, "3", f"GS {group.control} has no GE", anchor))
        return
    if not _same_number(ge.get(2), group.control):
        group.errors.append(_err(Level.GROUP, "4", f"GE02 {ge.get(2)!r} does not match GS06 {group.control!r}", ge))
    if not _count_is(ge.get(1), len(group.sets)):
        group.errors.append(
            _err(Level.GROUP, "5", f"GE01 says {ge.get(1)!r} sets, the group has {len(group.sets)}", ge)
        )


def split(segments: list[Segment]) -> Interchange:
    """The envelope tree of an interchange, with every envelope error found on the way."""
    isa = segments[0]
    interchange = Interchange(isa, errors=_check_isa(isa))
    group: Group | None = None
    current: TransactionSet | None = None
    iea: Segment | None = None
    for seg in segments[1:]:
        if iea is not None:
            interchange.errors.append(_err(Level.INTERCHANGE, "022", f"{seg.id} after IEA", seg))
            break
        if current is not None and seg.id not in ("SE", "GE", "IEA", "ST", "GS"):
            current.body.append(seg)
            continue
        if seg.id == "SE" and current is not None:
            current.body.append(seg)
            _close_set(current, seg)
            current = None
        elif seg.id == "ST" and group is not None:
            if current is not None:
                _close_set(current, None)
            current = TransactionSet(seg, [seg])
            group.sets.append(current)
        elif seg.id == "GS" and group is None:
            group = Group(seg)
            interchange.groups.append(group)
        elif seg.id == "GE" and group is not None:
            if current is not None:
                _close_set(current, None)
                current = None
            _close_group(group, seg, seg)
            group = None
        elif seg.id == "TA1" and group is None:
            interchange.ta1s.append(seg)
        elif seg.id == "IEA":
            if group is not None:
                if current is not None:
                    _close_set(current, None)
                    current = None
                _close_group(group, None, seg)
                group = None
            iea = seg
        else:
            interchange.errors.append(_err(Level.INTERCHANGE, "024", f"{seg.id} outside of a group or set", seg))
    if iea is None:
        interchange.errors.append(_err(Level.INTERCHANGE, "023", "no IEA: the interchange ended early", segments[-1]))
        if group is not None:
            if current is not None:
                _close_set(current, None)
            _close_group(group, None, segments[-1])
        return interchange
    if not _same_number(iea.get(2), interchange.control):
        interchange.errors.append(
            _err(Level.INTERCHANGE, "001", f"IEA02 {iea.get(2)!r} does not match ISA13 {interchange.control!r}", iea)
        )
    if not _count_is(iea.get(1), len(interchange.groups)):
        interchange.errors.append(
            _err(
                Level.INTERCHANGE,
                "021",
                f"IEA01 says {iea.get(1)!r} groups, the interchange has {len(interchange.groups)}",
                iea,
            )
        )
    return interchange
