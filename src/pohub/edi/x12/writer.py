"""Serialise segments with chosen delimiters, inside ISA/GS/ST envelopes whose counts it computes.

X12 has no release character: a value that contains a delimiter cannot be written, and is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pohub.edi.x12.segments import Delimiters, Segment


@dataclass(frozen=True)
class Party:
    qualifier: str  # ISA05/ISA07: ZZ (mutually defined), 01 (DUNS), 12 (phone), 14 (DUNS+4) ...
    id: str  # ISA06/ISA08 (padded to 15); also GS02/GS03 unless the group names its own codes


@dataclass(frozen=True)
class GroupOut:
    functional_id: str  # GS01
    control: int  # GS06
    version: str  # GS08, e.g. "004010" or "005010"
    sets: Sequence[Sequence[Segment]]  # each ST .. SE, as wrap_set builds it
    sender_code: str = ""
    receiver_code: str = ""


@dataclass(frozen=True)
class InterchangeOut:
    sender: Party
    receiver: Party
    control: int  # ISA13
    date: datetime
    groups: Sequence[GroupOut] = field(default_factory=tuple)
    usage: str = "P"  # ISA15: P production, T test
    ack_requested: bool = False  # ISA14
    extra: Sequence[Segment] = ()  # segments between ISA and the first GS (a TA1)


class UnwritableValue(ValueError):
    """A value holds a delimiter of the interchange it is written into."""


def wrap_set(set_id: str, control: str, body: Sequence[Segment]) -> list[Segment]:
    """ST + body + SE with the segment count."""
    return [Segment.of("ST", set_id, control), *body, Segment.of("SE", len(body) + 2, control)]


def _isa(out: InterchangeOut, delimiters: Delimiters) -> Segment:
    when = out.date.astimezone(UTC)
    version = "00501" if all(g.version.startswith("005") for g in out.groups) and out.groups else "00401"
    isa11 = delimiters.repetition if delimiters.repetition and version >= "00402" else "U"
    return Segment(
        "ISA",
        (
            "00",
            " " * 10,
            "00",
            " " * 10,
            out.sender.qualifier,
            out.sender.id.ljust(15),
            out.receiver.qualifier,
            out.receiver.id.ljust(15),
            when.strftime("%y%m%d"),
            when.strftime("%H%M"),
            isa11,
            version,
            f"{out.control:09d}",
            "1" if out.ack_requested else "0",
            out.usage,
            delimiters.component,
        ),
    )


def render(segments: Sequence[Segment], delimiters: Delimiters) -> str:
    """Segments as text; ISA16 is written as the component separator it declares."""
    reserved = delimiters.all()
    parts: list[str] = []
    for seg in segments:
        for n, value in enumerate(seg.elements, start=1):
            if seg.id == "ISA" and n in (11, 16):
                continue
            bad = reserved.intersection(value)
            if bad:
                raise UnwritableValue(f"{seg.id}{n:02d} {value!r} contains the delimiter {''.join(sorted(bad))!r}")
        parts.append(delimiters.element.join((seg.id, *seg.elements)) + delimiters.segment + delimiters.suffix)
    return "".join(parts)


def interchange_segments(out: InterchangeOut, delimiters: Delimiters) -> list[Segment]:
    """Every segment of the interchange, envelopes and counts included."""
    when = out.date.astimezone(UTC)
    segments = [_isa(out, delimiters), *out.extra]
    for group in out.groups:
        segments.append(
            Segment.of(
                "GS",
                group.functional_id,
                group.sender_code or out.sender.id,
                group.receiver_code or out.receiver.id,
                when.strftime("%Y%m%d"),
                when.strftime("%H%M"),
                group.control,
                "X",
                group.version,
            )
        )
        for tset in group.sets:
            segments += tset
        segments.append(Segment.of("GE", len(group.sets), group.control))
    segments.append(Segment.of("IEA", len(out.groups), f"{out.control:09d}"))
    return segments


def write_interchange(out: InterchangeOut, delimiters: Delimiters | None = None) -> bytes:
    """The interchange as bytes (UTF-8), with the delimiters given (``* > ~`` by default)."""
    chosen = delimiters or Delimiters()
    return render(interchange_segments(out, chosen), chosen).encode("utf-8")
