"""EDIFACT findings, each with the CONTRL syntax error code (0085) and where it was found."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    INTERCHANGE = "interchange"  # UCI
    MESSAGE = "message"  # UCM
    SEGMENT = "segment"  # UCS
    ELEMENT = "element"  # UCS + UCD


@dataclass(frozen=True)
class EdifactError:
    level: Level
    code: str  # 0085: 12 invalid value, 13 missing, 15 not supported in this position, 28 references
    message: str  # do not match, 29 control count does not match, 2 syntax version not supported ...
    tag: str = ""
    position: int = 0  # in the interchange
    message_position: int = 0  # in the message, UNH = 1 (UCS 0096)
    element: int = 0
    component: int = 0

    def describe(self) -> str:
        where = f"{self.tag}{self.element:02d}" if self.element else self.tag
        return f"{where or self.level.value} at segment {self.position}: {self.message} (CONTRL {self.code})"
