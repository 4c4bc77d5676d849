"""What became of messages, reported by the layers that handle them (the exchanges pipeline) and
counted by the edges (pohub.ops.metrics registers itself here). A registered callback, so the
pipeline imports nothing above it; with nothing registered a report costs a loop over nothing."""

from __future__ import annotations

from collections.abc import Callable

DocumentListener = Callable[[str, str, str], None]  # kind, channel, outcome
SendListener = Callable[[str, list[str]], None]  # channel, the state each attempt left its message in

_documents: list[DocumentListener] = []
_sends: list[SendListener] = []


def on_document(listener: DocumentListener) -> None:
    if listener not in _documents:
        _documents.append(listener)


def on_send(listener: SendListener) -> None:
    if listener not in _sends:
        _sends.append(listener)


def document(*, kind: str, channel: str, outcome: str) -> None:
    """One inbound message was applied, answered as a duplicate, refused or failed."""
    for listener in _documents:
        listener(kind, channel, outcome)


def sent(*, channel: str, states: list[str]) -> None:
    """A batch of send attempts on ``channel`` left their messages in these states."""
    for listener in _sends:
        listener(channel, states)
