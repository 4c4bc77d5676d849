"""Secrets never reach a log line: API keys in query strings, headers and free text are masked.

Applied to every formatted log line (ours, uvicorn's, SQLAlchemy's), so a key that slips into a
message, an exception or a URL is caught where it is written, whoever wrote it.
"""

from __future__ import annotations

import re

MASK = "***"

# Query parameters and headers that carry keys on the platforms pohub speaks (and common spellings).
_SECRET_NAMES = r"subscription-key|api[_-]?key|apikey|access[_-]?token|token|secret|password|sharedsecret"
_PATTERNS = [
    # name=value in query strings and form bodies
    re.compile(rf"(?i)((?:{_SECRET_NAMES})=)[^&\s\"'\\]+"),
    # Authorization: Bearer xxx / SPECTRUM_API_TOKEN: xxx, in text and in dict reprs
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:spectrum_api_token|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)[^\"',\s}]+"),
    # JSON fields named like secrets
    re.compile(r"(?i)(\"(?:SharedSecret|secret|password|api_?key|token)\"\s*:\s*\")[^\"]*"),
    # pohub's own key format and Standard Webhooks secrets, wherever they appear
    re.compile(r"()pohub_[A-Za-z0-9_-]{8,}"),
    re.compile(r"()whsec_[A-Za-z0-9+/=_-]{8,}"),
]


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by ***."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text
