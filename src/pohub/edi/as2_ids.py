"""Message-IDs of pohub's own AS2 sends that name their exchange, and what an attempt keeps while
the partner's asynchronous MDN is awaited (edi/as2_mdn.py matches it)."""

from __future__ import annotations

import re
import secrets

from pohub.core import jsonio

AWAITED = "async MDN awaited"
_OURS = re.compile(r"<pohub-x(\d+)-[0-9a-f]+@")


def message_id(exchange_id: int, our_as2_id: str) -> str:
    """A Message-ID that names the exchange it carries, so that an async MDN finds its way back."""
    host = re.sub(r"[^A-Za-z0-9.-]", "", our_as2_id) or "pohub"
    return f"<pohub-x{exchange_id}-{secrets.token_hex(8)}@{host}>"


def exchange_of(original_message_id: str) -> int | None:
    found = _OURS.match(original_message_id.strip())
    return int(found.group(1)) if found else None


def awaiting(message: str, mics: dict[str, str]) -> str:
    """The attempt's body for a message whose MDN will come later: what it must confirm."""
    return jsonio.dumps({"State": AWAITED, "MessageId": message, "Mics": mics}).decode()
