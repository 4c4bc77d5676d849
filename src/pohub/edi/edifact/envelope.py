"""UNB/UNH ... UNT/UNZ: split an interchange into messages, checking references and counts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pohub.edi.edifact.errors import EdifactError, Level
from pohub.edi.edifact.syntax import Seg

_SYNTAX_IDS = re.compile(r"UNO[A-KWXY]")


@dataclass
class Message:
    unh: Seg
    body: list[Seg]  # UNH .. UNT inclusive
    errors: list[EdifactError] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.unh.comp(1)

    @property
    def type(self) -> str:
        return self.unh.comp(2, 1)

    @property
    def directory(self) -> str:
        """Version and release, e.g. "D96A"."""
        return self.unh.comp(2, 2) + self.unh.comp(2, 3)


@dataclass
class EdifactInterchange:
    unb: Seg
    messages: list[Message] = field(default_factory=list)
    errors: list[EdifactError] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.unb.comp(5)

    @property
    def test(self) -> bool:
        return self.unb.comp(11) == "1"


def _err(level: Level, code: str, message: str, seg: Seg, element: int = 0) -> EdifactError:
    return EdifactError(level, code, message, seg.tag, seg.position, 0, element)


def _check_unb(unb: Seg) -> list[EdifactError]:
    errors = []
    if not _SYNTAX_IDS.fullmatch(unb.comp(1, 1)):
        errors.append(_err(Level.INTERCHANGE, "2", f"syntax identifier {unb.comp(1, 1)!r} is not supported", unb, 1))
    if unb.comp(1, 2) not in ("1", "2", "3", "4"):
        errors.append(_err(Level.INTERCHANGE, "2", f"syntax version {unb.comp(1, 2)!r} is not supported", unb, 1))
    for n, what in ((2, "sender"), (3, "recipient")):
        if not unb.comp(n, 1):
            errors.append(_err(Level.INTERCHANGE, "13", f"interchange {what} is missing", unb, n))
    if not re.fullmatch(r"\d{6}|\d{8}", unb.comp(4, 1)) or not re.fullmatch(r"\d{4}", unb.comp(4, 2)):
        errors.append(_err(Level.INTERCHANGE, "12", "date and time of preparation are not valid", unb, 4))
    if not unb.comp(5) or len(unb.comp(5)) > 14:
        errors.append(
            _err(Level.INTERCHANGE, "12", f"interchange control reference {unb.comp(5)!r} is not valid", unb, 5)
        )
    return errors


def _close(message: Message, unt: Seg | None) -> None:
    if unt is None:
        message.errors.append(_err(Level.MESSAGE, "13", f"message {message.reference} has no UNT", message.unh))
        return
    if unt.comp(2) != message.reference:
        message.errors.append(
            _err(Level.MESSAGE, "28", f"UNT 0062 {unt.comp(2)!r} does not match UNH {message.reference!r}", unt, 2)
        )
    if not unt.comp(1).isdigit() or int(unt.comp(1)) != len(message.body):
        message.errors.append(
            _err(Level.MESSAGE, "29", f"UNT says {unt.comp(1)!r} segments, the message has {len(message.body)}", unt, 1)
        )


def split(segments: list[Seg]) -> EdifactInterchange:
    """The messages of an interchange with every envelope error found."""
    unb = segments[0]
    if unb.tag != "UNB":
        raise ValueError("an EDIFACT interchange begins with UNB")
    interchange = EdifactInterchange(unb, errors=_check_unb(unb))
    current: Message | None = None
    unz: Seg | None = None
    for seg in segments[1:]:
        if unz is not None:
            interchange.errors.append(_err(Level.INTERCHANGE, "33", f"{seg.tag} after UNZ", seg))
            break
        if seg.tag == "UNH":
            if current is not None:
                _close(current, None)
            current = Message(seg, [seg])
            interchange.messages.append(current)
        elif seg.tag == "UNT" and current is not None:
            current.body.append(seg)
            _close(current, seg)
            current = None
        elif seg.tag == "UNZ":
            if current is not None:
                _close(current, None)
                current = None
            unz = seg
        elif current is not None:
            current.body.append(seg)
        elif seg.tag not in ("UNG", "UNE"):
            interchange.errors.append(_err(Level.INTERCHANGE, "33", f"{seg.tag} outside of a message", seg))
    if unz is None:
        interchange.errors.append(_err(Level.INTERCHANGE, "13", "no UNZ: the interchange ended early", segments[-1]))
        if current is not None:
            _close(current, None)
        return interchange
    if unz.comp(2) != interchange.reference:
        interchange.errors.append(
            _err(
                Level.INTERCHANGE,
                "28",
                f"UNZ 0020 {unz.comp(2)!r} does not match UNB {interchange.reference!r}",
                unz,
                2,
            )
        )
    groups = sum(1 for s in segments if s.tag == "UNG")
    expected = groups or len(interchange.messages)
    if not unz.comp(1).isdigit() or int(unz.comp(1)) != expected:
        interchange.errors.append(
            _err(Level.INTERCHANGE, "29", f"UNZ says {unz.comp(1)!r}, the interchange has {expected}", unz, 1)
        )
    return interchange
