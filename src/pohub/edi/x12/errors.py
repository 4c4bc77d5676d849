"""Findings of the X12 reader: each carries where it is and the code its acknowledgement reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    INTERCHANGE = "interchange"  # answered by TA1 (TA105)
    GROUP = "group"  # AK9 (AK905..)
    SET = "set"  # AK5 (AK502..)
    SEGMENT = "segment"  # AK3 (AK304)
    ELEMENT = "element"  # AK3 code 8 + AK4 (AK403)


@dataclass(frozen=True)
class X12Error:
    """One error: level and code as the 997/TA1 names them, and where it was found."""

    level: Level
    code: str
    message: str
    segment_id: str = ""
    position: int = 0  # position in the interchange (1-based)
    set_position: int = 0  # position within the transaction set, ST = 1 (AK302)
    element: int = 0  # AK401; 0 for the segment itself
    component: int = 0
    element_ref: str = ""  # AK402
    bad_value: str = ""  # AK404
    loop_id: str = ""  # AK303

    def describe(self) -> str:
        where = f"{self.segment_id}{self.element:02d}" if self.element else self.segment_id
        at = f" at segment {self.position}" if self.position else ""
        return f"{where or self.level.value}{at}: {self.message} ({self.level.value} code {self.code})"


class X12SyntaxError(Exception):
    """The bytes are not an interchange pohub can tokenize: answered by TA1 with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} (TA1 {code})")
        self.code = code
        self.message = message
