"""EDIFACT syntax through pydifact: UNA service characters and the release character both ways.

pydifact's segment factory validates against its own directories and warns where it has none; pohub
validates itself (validate.py), so the factory here builds plain segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydifact import Characters, Parser, Serializer
from pydifact import Segment as PySegment
from pydifact.exceptions import EDISyntaxError
from pydifact.segments import SegmentFactory

Element = str | tuple[str, ...]


@dataclass(frozen=True)
class Una:
    """Service string advice; ISO 9735's defaults when an interchange has no UNA."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    reserved: str = " "
    segment: str = "'"

    def text(self) -> str:
        return f"UNA{self.component}{self.element}{self.decimal}{self.release}{self.reserved}{self.segment}"

    def characters(self) -> Characters:
        return Characters.from_str(self.text())


@dataclass(frozen=True)
class Seg:
    """One segment: its tag and elements (a composite is a tuple of components), and its position."""

    tag: str
    elements: tuple[Element, ...] = ()
    position: int = 0

    def el(self, n: int) -> Element:
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def comp(self, n: int, c: int = 1) -> str:
        """Component c of element n (both 1-based); a simple element is its own first component."""
        value = self.el(n)
        if isinstance(value, str):
            return value if c == 1 else ""
        return value[c - 1] if c <= len(value) else ""

    @classmethod
    def of(cls, tag: str, *values: object) -> Seg:
        """A segment from values: None is empty, a list or tuple is a composite; trailing empties dropped."""
        elements: list[Element] = []
        for value in values:
            if isinstance(value, list | tuple):
                parts = ["" if v is None else str(v) for v in value]
                while parts and parts[-1] == "":
                    parts.pop()
                elements.append(tuple(parts) if len(parts) > 1 else (parts[0] if parts else ""))
            else:
                elements.append("" if value is None else str(value))
        while elements and elements[-1] == "":
            elements.pop()
        return cls(tag, tuple(elements))


class EdifactSyntaxError(Exception):
    """Text that is not EDIFACT syntax; ``code`` is the CONTRL syntax error code (0085)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} (CONTRL {code})")
        self.code = code
        self.message = message


class _PlainFactory(SegmentFactory):
    @staticmethod
    def create_segment(
        name: str, *elements: Any, validate: bool = True, version: str = "", directory: str = ""
    ) -> PySegment:
        return SegmentFactory.create_segment(name, *elements, validate=False)


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _element(value: Any) -> Element:
    return tuple(str(v) for v in value) if isinstance(value, list) else str(value)


def parse(data: bytes | str) -> tuple[Una, list[Seg]]:
    """The service characters and the segments (UNA excluded), numbered from 1."""
    text = decode(data).lstrip(" \r\n")
    if not (text.startswith("UNA") or text.startswith("UNB")):
        raise EdifactSyntaxError("13", "the interchange does not begin with UNA or UNB")
    una = Una(*text[3:9]) if text.startswith("UNA") and len(text) >= 9 else Una()
    if una.segment not in "\r\n ":
        text = text.rstrip(" \r\n")
    try:
        raw = [s for s in Parser(factory=_PlainFactory()).parse(text, una.characters()) if s.tag != "UNA"]
    except (EDISyntaxError, ValueError) as exc:
        raise EdifactSyntaxError("22", f"not EDIFACT syntax: {exc}") from None
    segments = [Seg(s.tag, tuple(_element(e) for e in s.elements), i) for i, s in enumerate(raw, start=1)]
    return una, segments


def serialize(segments: Sequence[Seg], una: Una | None = None, *, line_breaks: bool = False) -> str:
    """Segments as text behind a UNA, with every service character in a value released."""
    chosen = una or Una()
    py = [PySegment(s.tag, *[list(e) if isinstance(e, tuple) else e for e in s.elements]) for s in segments]
    return Serializer(chosen.characters()).serialize(py, with_una_header=True, break_lines=line_breaks)
