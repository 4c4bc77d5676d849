"""EDIFACT interchanges out: UNA, UNB, messages wrapped in UNH/UNT with their counts, UNZ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pohub.edi.edifact.syntax import Seg, Una, serialize


@dataclass(frozen=True)
class EdifactParty:
    id: str
    qualifier: str = "ZZZ"  # 0007: 14 (EAN/GLN), ZZZ (mutually defined) ...


@dataclass(frozen=True)
class EdifactOut:
    sender: EdifactParty
    recipient: EdifactParty
    reference: str  # UNB 0020, at most 14 characters
    date: datetime
    messages: Sequence[Sequence[Seg]]  # each UNH .. UNT, as wrap_message builds it
    syntax: str = "UNOC"
    version: str = "3"
    test: bool = False


def wrap_message(reference: str, message_type: str, body: Sequence[Seg]) -> list[Seg]:
    """UNH + body + UNT with the segment count (D.96A; CONTRL names its own version)."""
    identifier = ("CONTRL", "D", "3", "UN") if message_type == "CONTRL" else (message_type, "D", "96A", "UN")
    return [Seg.of("UNH", reference, identifier), *body, Seg.of("UNT", len(body) + 2, reference)]


def interchange_segments(out: EdifactOut) -> list[Seg]:
    when = out.date.astimezone(UTC)
    stamp = when.strftime("%Y%m%d" if out.version == "4" else "%y%m%d")
    segments = [
        Seg.of(
            "UNB",
            (out.syntax, out.version),
            (out.sender.id, out.sender.qualifier),
            (out.recipient.id, out.recipient.qualifier),
            (stamp, when.strftime("%H%M")),
            out.reference,
            None,
            None,
            None,
            None,
            None,
            "1" if out.test else None,
        )
    ]
    for message in out.messages:
        segments += message
    segments.append(Seg.of("UNZ", len(out.messages), out.reference))
    return segments


# Segments whose element 1, component 2 is a number: written with the decimal mark UNA declares.
_NUMERIC = frozenset({"QTY", "PRI", "MOA", "CNT", "PCD"})


def _with_mark(seg: Seg, mark: str) -> Seg:
    if seg.tag == "MEA" and mark != "." and isinstance(seg.el(3), tuple):
        value = seg.el(3)
        return Seg(seg.tag, (*seg.elements[:2], (value[0], value[1].replace(".", mark), *value[2:])), seg.position)
    first = seg.el(1)
    if seg.tag not in _NUMERIC or mark == "." or not isinstance(first, tuple) or len(first) < 2:
        return seg
    return Seg(seg.tag, ((first[0], first[1].replace(".", mark), *first[2:]), *seg.elements[1:]), seg.position)


def write_edifact(out: EdifactOut, una: Una | None = None, *, line_breaks: bool = False) -> bytes:
    """The interchange as bytes (UTF-8) behind a UNA; service characters in values are released."""
    chosen = una or Una()
    segments = [_with_mark(s, chosen.decimal) for s in interchange_segments(out)]
    breaks = line_breaks and chosen.segment not in "\r\n"
    return serialize(segments, chosen, line_breaks=breaks).encode("utf-8")
