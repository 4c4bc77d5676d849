"""CONTRL (syntax and service report) for an interchange pohub received.

Action codes (0083): 4 rejected, 7 acknowledged (lower levels too unless reported), 8 received.
UCI answers the interchange, one UCM each message, UCS/UCD the segment and element in error.
"""

from __future__ import annotations

from pohub.edi.edifact.envelope import Message
from pohub.edi.edifact.errors import Level
from pohub.edi.edifact.syntax import Seg
from pohub.edi.edifact.validate import EdifactResult

REJECTED, ACCEPTED = "4", "7"


def _ucm(message: Message) -> list[Seg]:
    first = message.errors[0] if message.errors else None
    identifier = (message.type, message.unh.comp(2, 2), message.unh.comp(2, 3), message.unh.comp(2, 4))
    header_error = first.code if first and first.level is Level.MESSAGE else None
    out = [Seg.of("UCM", message.reference, identifier, REJECTED if message.errors else ACCEPTED, header_error)]
    for error in message.errors:
        if error.level in (Level.SEGMENT, Level.ELEMENT) and error.message_position:
            out.append(Seg.of("UCS", error.message_position, None if error.element else error.code))
            if error.element:
                out.append(Seg.of("UCD", error.code, (error.element, error.component or None)))
    return out


def build_contrl(result: EdifactResult) -> list[Seg]:
    """The body of a CONTRL (UCI, UCM...) answering ``result``."""
    if result.interchange is None:
        raise ValueError("an interchange without a readable UNB cannot be answered by CONTRL")
    unb = result.interchange.unb
    first = result.errors[0] if result.errors else None
    accepted = result.accepted
    body = [
        Seg.of(
            "UCI",
            unb.comp(5),
            unb.el(2),
            unb.el(3),
            ACCEPTED if accepted else REJECTED,
            first.code if first else None,
            first.tag if first else None,
            (first.element, first.component or None) if first and first.element else None,
        )
    ]
    for message in result.interchange.messages:
        body += _ucm(message)
    return body
