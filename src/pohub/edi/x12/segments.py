"""The two value types every X12 module shares: the delimiters an interchange declares, and a segment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiters:
    """Separators as ISA declares them (position 3, ISA11 from 00402 on, ISA16, the character after ISA16)."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None
    # Written after every terminator (a newline makes files readable); ignored between segments on read.
    suffix: str = ""

    def all(self) -> set[str]:
        return {c for c in (self.element, self.component, self.segment, self.repetition) if c}


@dataclass(frozen=True)
class Segment:
    """One segment: its id and its elements (``elements[0]`` is XX01), and where it stood when read."""

    id: str
    elements: tuple[str, ...] = ()
    position: int = 0  # 1-based position in the interchange; 0 for a segment built in memory

    def get(self, n: int) -> str:
        """Element n (1-based, as X12 numbers them); "" when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    @classmethod
    def of(cls, seg_id: str, *values: object) -> Segment:
        """A segment from values (None and "" are empty elements); trailing empty elements are dropped."""
        texts = ["" if v is None else str(v) for v in values]
        while texts and texts[-1] == "":
            texts.pop()
        return cls(seg_id, tuple(texts))
