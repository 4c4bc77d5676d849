"""997 functional acknowledgements and TA1 interchange acknowledgements from what the reader found."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pohub.edi.x12.envelope import Group, TransactionSet
from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.reader import ReadResult, version_of
from pohub.edi.x12.segments import Segment
from pohub.edi.x12.writer import GroupOut, InterchangeOut, Party, wrap_set

_MAX_CODES = 5  # AK502..AK506, AK905..AK909


def _codes(errors: list[X12Error], level: Level) -> list[str]:
    codes: list[str] = []
    for error in errors:
        if error.level is level and error.code not in codes:
            codes.append(error.code)
    return codes[:_MAX_CODES]


def _segment_notes(tset: TransactionSet, version: str) -> list[Segment]:
    """AK3 (and its AK4s) for every segment in error, in the order of the set."""
    by_segment: dict[tuple[int, str, int], list[X12Error]] = defaultdict(list)
    notes: list[Segment] = []
    for error in tset.errors:
        if error.level is Level.SEGMENT:
            notes.append(Segment.of("AK3", error.segment_id, error.set_position, error.loop_id, error.code))
        elif error.level is Level.ELEMENT:
            by_segment[error.set_position, error.segment_id, error.position].append(error)
    for (set_position, seg_id, _), errors in by_segment.items():
        notes.append(Segment.of("AK3", seg_id, set_position, "", "8"))
        for e in errors:
            where = f"{e.element}:{e.component}" if e.component and version.startswith("005") else e.element
            notes.append(Segment.of("AK4", where, e.element_ref, e.code, e.bad_value))
    return notes


def build_997(group: Group) -> list[Segment]:
    """The body of a 997 (AK1 .. AK9) for one received group."""
    version = version_of(group) or "004010"
    ak1 = ("AK1", group.functional_id, group.control) + ((group.version,) if version.startswith("005") else ())
    body = [Segment.of(*ak1)]
    validated = not any(e.code in ("1", "2") for e in group.errors)
    accepted = 0
    if validated:
        for tset in group.sets:
            ak2 = ("AK2", tset.id, tset.control) + ((tset.st.get(3),) if version.startswith("005") else ())
            body.append(Segment.of(*ak2))
            body += _segment_notes(tset, version)
            codes = _codes(tset.errors, Level.SET)
            body.append(Segment.of("AK5", "R" if tset.errors else "A", *codes))
            accepted += 0 if tset.errors else 1
    group_codes = _codes(group.errors, Level.GROUP)
    if group_codes:
        status, accepted = "R", 0
    elif accepted == len(group.sets):
        status = "A"
    else:
        status = "P" if accepted else "R"
    # AK902 reports GE01 as sent; AK903 what arrived.
    declared = group.ge.get(1) if group.ge is not None and group.ge.get(1).isdigit() else len(group.sets)
    body.append(Segment.of("AK9", status, declared, len(group.sets), accepted, *group_codes))
    return body


def build_ta1(result: ReadResult) -> Segment:
    """TA1 for the interchange: accepted (000) or rejected with the first envelope error's note code."""
    isa = result.interchange.isa if result.interchange else None
    control = isa.get(13) if isa else "000000000"
    date, time = (isa.get(9), isa.get(10)) if isa else ("000000", "0000")
    if result.errors:
        return Segment.of("TA1", control, date, time, "R", result.errors[0].code)
    return Segment.of("TA1", control, date, time, "A", "000")


def needs_ta1(result: ReadResult) -> bool:
    """A TA1 goes back when the envelope is in error or ISA14 asked for one."""
    return bool(result.errors) or bool(result.interchange and result.interchange.isa.get(14) == "1")


def acknowledgement(
    result: ReadResult, *, control: int, group_control: int, date: datetime, set_control: int = 1
) -> InterchangeOut:
    """The interchange answering ``result``: a TA1 when due, and one 997 per group received."""
    if result.interchange is None:
        raise ValueError("an interchange that cannot be tokenized has no ISA to answer")
    isa = result.interchange.isa
    groups = []
    for offset, group in enumerate(result.interchange.groups):
        version = (version_of(group) or "004010")[:6]
        ack = wrap_set("997", f"{set_control + offset:04d}", build_997(group))
        groups.append(GroupOut("FA", group_control + offset, version, [ack], group.gs.get(3), group.gs.get(2)))
    return InterchangeOut(
        sender=Party(isa.get(7), isa.get(8).strip()),
        receiver=Party(isa.get(5), isa.get(6).strip()),
        control=control,
        date=date,
        groups=groups,
        usage=isa.get(15) if isa.get(15) in ("P", "T") else "P",
        extra=[build_ta1(result)] if needs_ta1(result) else [],
    )
