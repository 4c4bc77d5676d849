"""One shape for an interchange read in either standard, so that the road in (``edi.receive``) and
the road out (``edi.send``) know nothing of X12 or EDIFACT: each standard is an adapter in
``STANDARDS`` (``edi/x12_side.py``, ``edi/edifact_side.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from pohub.documents.logicbroker import SalesOrder

# Not a document kind: the supplier's answer to a buyer's change (865, ORDRSP to an ORDCHG), applied
# by pohub's change rules as the answer to the change it names.
CHANGE_ANSWER = "change_answer"
# Likewise the supplier's answer to a buyer's return (a 180 with BGN01 11): authorised or rejected.
RETURN_ANSWER = "return_answer"


@dataclass
class Found:
    """A set (or message) that passed validation, ready to be mapped."""

    set_id: str  # 850, ORDERS
    control: str  # ST02, UNH 0062
    kind: str  # a document kind, or "functional_acknowledgement" (997, CONTRL)
    body: list[Any]  # its segments, ST..SE / UNH..UNT
    text: str  # the same as text, for the child exchange of a set that cannot be mapped
    partner_po: str | None = None  # the order it is about (855, 856, 810 and the like)


@dataclass
class GroupNote:
    """What became of one functional group (X12 GS..GE; EDIFACT: the interchange's messages)."""

    functional_id: str
    control: str
    sets: int
    accepted: int
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reading:
    standard: str
    sender: tuple[str, str] | None  # (qualifier, id) of ISA05/06, UNB 0004/0007
    receiver: tuple[str, str] | None
    control: str | None  # ISA13, UNB 0020
    test: bool
    accepted: bool
    groups: list[GroupNote]
    errors: list[dict[str, Any]]  # every finding, interchange to element, each naming where
    found: list[Found]
    native: Any  # the standard's own result, for its acknowledgement

    @property
    def readable(self) -> bool:
        return self.sender is not None


@dataclass(frozen=True)
class Acknowledgement:
    kind: str  # 997, TA1, CONTRL
    payload: bytes


@dataclass(frozen=True)
class Numbers:
    """Control numbers allocated for one interchange out: its own, its first group's, its first set's."""

    interchange: int
    group: int
    set: int


@dataclass(frozen=True)
class Envelope:
    """Who an interchange out is from and to, and whether it is a test."""

    sender: tuple[str, str]
    receiver: tuple[str, str]
    sender_group: str
    receiver_group: str
    version: str
    test: bool
    date: datetime


class Standard(Protocol):
    name: str
    content_type: str
    # Control number kinds: interchange, group, set (EDIFACT has no groups here: None).
    kinds: tuple[str, str | None, str]

    def read(self, raw: bytes, guide: Any = None) -> Reading: ...

    def acknowledge(self, reading: Reading, numbers: Numbers, date: datetime) -> Acknowledgement | None: ...

    def groups_to_acknowledge(self, reading: Reading) -> int: ...

    def write(
        self, kind: str, document: BaseModel, order: SalesOrder | None, envelope: Envelope, numbers: Numbers
    ) -> tuple[str, bytes]: ...

    def check(self, payload: bytes, guide: Any = None) -> list[dict[str, Any]]: ...

    def acknowledged_groups(self, found: Found) -> list[tuple[str, bool, str]]: ...

    def outbound_groups(self, payload: bytes) -> list[str]: ...

    def acknowledged_sets(self, found: Found) -> dict[str, tuple[bool, str]]: ...

    def outbound_sets(self, payload: bytes) -> list[str]: ...

    def map(self, found: Found, order: SalesOrder | None) -> list[BaseModel]: ...

    def lines(self, payload: bytes) -> list[str] | None: ...


STANDARDS: dict[str, Standard] = {}


def register(standard: Standard) -> Standard:
    STANDARDS[standard.name] = standard
    return standard


def control_key(value: str) -> str:
    """A control number as compared across answers ("0001" and "1" are the same set)."""
    return str(int(value)) if value.isdigit() else value


def sniff(raw: bytes) -> str | None:
    """Which standard an interchange is in, from its first segment (after a byte-order mark)."""
    head = raw.lstrip(b"\xef\xbb\xbf").lstrip()[:3]
    if head == b"ISA":
        return "x12"
    if head in (b"UNA", b"UNB"):
        return "edifact"
    return None
