"""Bytes to segments, with the delimiters ISA declares: never assumes ``*`` and ``~``.

ISA is fixed-length in the standard, but senders pad it wrongly often enough that the delimiters are
found by structure instead: the element separator is the fourth character, ISA has sixteen elements,
ISA16 is the one character after the sixteenth separator and the segment terminator the next one.
"""

from __future__ import annotations

from pohub.edi.x12.errors import X12SyntaxError
from pohub.edi.x12.segments import Delimiters, Segment

_ISA_ELEMENTS = 16
_WHITESPACE = "\r\n"


def decode(data: bytes | str) -> str:
    """Text of an interchange: UTF-8 (a byte-order mark is dropped), else Latin-1 byte for byte."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_delimiters(text: str) -> tuple[Delimiters, int]:
    """The delimiters ISA declares and the index where ISA starts."""
    start = text.find("ISA")
    if start < 0 or text[:start].strip():
        raise X12SyntaxError("024", "the interchange does not begin with ISA")
    if len(text) < start + 4:
        raise X12SyntaxError("023", "the interchange ends inside ISA")
    element = text[start + 3]
    if element.isalnum() or element in " \r\n":
        raise X12SyntaxError("026", f"invalid data element separator {element!r}")
    index = start + 3
    for _ in range(_ISA_ELEMENTS - 1):
        index = text.find(element, index + 1)
        if index < 0:
            raise X12SyntaxError("023", "the interchange ends inside ISA")
    if len(text) < index + 3:
        raise X12SyntaxError("023", "the interchange ends inside ISA")
    component, terminator = text[index + 1], text[index + 2]
    if component.isalnum() or component in (element, " "):
        raise X12SyntaxError("027", f"invalid component element separator {component!r}")
    if terminator.isalnum() or terminator in (element, component, " "):
        raise X12SyntaxError("004", f"invalid segment terminator {terminator!r}")
    isa11 = text[start:index].split(element)[11]
    repetition = None
    # ISA11 is the standards identifier "U" before 00402 and the repetition separator after.
    if len(isa11) == 1 and not isa11.isalnum() and isa11 not in (element, component, terminator, " "):
        repetition = isa11
    return Delimiters(element, component, terminator, repetition), start


def tokenize(data: bytes | str) -> tuple[Delimiters, list[Segment]]:
    """Every segment of the interchange, numbered from 1, with its declared delimiters."""
    text = decode(data)
    delimiters, start = read_delimiters(text)
    segments: list[Segment] = []
    for raw in text[start:].split(delimiters.segment):
        # Line breaks after a terminator are layout, unless the terminator itself is a line break.
        body = raw.strip(_WHITESPACE) if delimiters.segment not in _WHITESPACE else raw
        if not body.strip():
            continue
        parts = body.split(delimiters.element)
        segments.append(Segment(parts[0].strip(), tuple(parts[1:]), len(segments) + 1))
    if not text.rstrip(_WHITESPACE + " ").endswith(delimiters.segment) and delimiters.segment not in _WHITESPACE:
        raise X12SyntaxError("023", "the interchange does not end with a segment terminator (premature end)")
    return delimiters, segments
