"""Reading integers from text. str.isdigit() is True for "¹" and "٣", which int() refuses or
reads as another digit; only ASCII digits name a key, a status or a line here."""

from __future__ import annotations


def is_ascii_int(text: str, *, signed: bool = False) -> bool:
    """True when ``text`` is an optional minus (if signed) and ASCII digits."""
    body = text[1:] if signed and text.startswith("-") else text
    return body.isascii() and body.isdigit()
