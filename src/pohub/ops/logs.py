"""Log set-up: one JSON object per line (POHUB_LOG_FORMAT=json) or readable text, secrets masked.

Every line carries the request id of the request being served, when there is one, so the access
line, an error's traceback and anything logged in between can be joined.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from pohub.ops import context
from pohub.ops.redact import redact

# Attributes every LogRecord has; anything else was passed in `extra=` and goes into the JSON.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}
_STANDARD |= {"color_message"}  # uvicorn's copy of the message with terminal colours


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or context.request_id.get()
        if rid:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info))
        # Masked field by field, before encoding: masking the encoded line could eat an escape.
        return orjson.dumps({k: redact(v) if isinstance(v, str) else v for k, v in out.items()}, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or context.request_id.get()
        if rid and "request_id=" not in line:
            line = f"{line} request_id={rid}"
        return redact(line)


def configure(*, log_format: str, level: str) -> None:
    """Route pohub's, uvicorn's and the libraries' loggers to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format.lower() == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own handlers; send its lines through ours instead (same format, masked).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True


def uvicorn_log_config(*, log_format: str, level: str) -> dict[str, Any]:
    """uvicorn's log_config, so its worker processes (which configure logging anew) use ours too."""
    formatter = "pohub.ops.logs.JsonFormatter" if log_format.lower() == "json" else "pohub.ops.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"pohub": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "pohub", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
        },
    }
