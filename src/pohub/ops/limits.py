"""Rate limits per API key and route group, as data: which requests form a group, the limit of
each group, and the presets that copy a platform's published limits.

The algorithm is GCRA (the generic cell rate algorithm): one number per bucket, the "theoretical
arrival time" (TAT). A request at ``now`` is allowed when max(TAT, now) - now <= interval * (burst - 1),
and then moves TAT on by one interval. It is a token bucket whose whole state is one value, so a
single atomic upsert (database) or script (Redis) counts it across any number of processes.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

# (group, methods, path pattern): the first match names a request's group; no match, no limit
# (the dashboard, docs, health and metrics). Searches and "Ready" lists are the platform's
# expensive reads; the bulk status change is limited on its own.
_API = r"/(?:api/v\d+|kojo|spectrum|wms)"
_DOCS = r"(?:Orders|Acknowledgements|Shipments|Invoices)"
ROUTE_GROUPS: list[tuple[str, frozenset[str], re.Pattern[str]]] = [
    ("bulk", frozenset({"PUT"}), re.compile(rf"^/api/v\d+/{_DOCS}/Status/?$")),
    ("search", frozenset({"GET", "HEAD"}), re.compile(rf"^/api/v\d+/{_DOCS}(?:/Ready|/LogicbrokerKeys/Ready)?/?$")),
    ("search", frozenset({"GET", "HEAD"}), re.compile(r"^/kojo/seller/orders/?$")),
    ("writes", frozenset({"POST", "PUT", "PATCH", "DELETE"}), re.compile(rf"^{_API}/")),
    ("reads", frozenset({"GET", "HEAD"}), re.compile(rf"^{_API}/")),
]
GROUPS = frozenset(g for g, _, _ in ROUTE_GROUPS)


def group_of(method: str, path: str) -> str | None:
    for group, methods, pattern in ROUTE_GROUPS:
        if method in methods and pattern.match(path):
            return group
    return None


@dataclass(frozen=True)
class Limit:
    count: int  # requests ...
    period: float  # ... per this many seconds, on average
    burst: int  # requests allowed at once after a quiet spell

    @property
    def interval(self) -> float:
        return self.period / self.count

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)

    def describe(self) -> str:
        per = f"{self.period:g} s" if self.period != 1 else "s"
        return f"{self.count} per {per} (bursts of {self.burst})"


# The Logicbroker commerce API's published limits (its v3 definition): searches and Ready lists
# 1 request every 2 s with bursts of 25; bulk status 1 / s, bursts of 25; the rest 10 / s, bursts of
# 100. Its v1 allows searches at 10 / s, bursts of 100.
PRESETS: dict[str, dict[str, Limit]] = {
    "logicbroker": {
        "search": Limit(1, 2.0, 25),
        "bulk": Limit(1, 1.0, 25),
        "writes": Limit(10, 1.0, 100),
        "reads": Limit(10, 1.0, 100),
    },
    "logicbroker-v1": {
        "search": Limit(10, 1.0, 100),
        "bulk": Limit(1, 1.0, 25),
        "writes": Limit(10, 1.0, 100),
        "reads": Limit(10, 1.0, 100),
    },
}
_RULE = re.compile(r"^(?P<group>[a-z]+)=(?P<count>\d+)/(?P<n>\d*\.?\d*)(?P<unit>ms|s|m|h)?(?::(?P<burst>\d+))?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse(spec: str) -> dict[str, Limit]:
    """ "off", a preset name, and/or rules "group=COUNT/PERIOD[:BURST]" separated by commas
    ("logicbroker,writes=50/1s:200"); later entries override earlier ones."""
    out: dict[str, Limit] = {}
    for raw in spec.split(","):
        item = raw.strip().lower()
        if not item or item in ("off", "none", "false", "0"):
            continue
        if item in PRESETS:
            out.update(PRESETS[item])
            continue
        m = _RULE.match(item.replace(" ", ""))
        if not m:
            raise ValueError(
                f"POHUB_RATE_LIMITS: {raw.strip()!r} is neither a preset ({', '.join(PRESETS)}) "
                "nor a rule like search=1/2s:25"
            )
        group = m["group"]
        if group not in GROUPS:
            raise ValueError(f"POHUB_RATE_LIMITS: unknown route group {group!r} (groups: {', '.join(sorted(GROUPS))})")
        count = int(m["count"])
        period = float(m["n"] or 1) * _UNITS[m["unit"]]
        burst = int(m["burst"]) if m["burst"] else count
        if count < 1 or period <= 0 or burst < 1:
            raise ValueError(f"POHUB_RATE_LIMITS: {raw.strip()!r} needs a count, period and burst above zero")
        out[group] = Limit(count, period, burst)
    return out


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until one more request would be allowed

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


def decide(tat: float | None, *, now: float, limit: Limit) -> tuple[Decision, float | None]:
    """GCRA in one step: the decision and the bucket's new TAT (None when refused: unchanged)."""
    start = now if tat is None or tat < now else tat
    if start - now > limit.tolerance:
        return Decision(False, start - now - limit.tolerance), None
    return Decision(True), start + limit.interval


def caller_key(api_key: str | None, client: str | None) -> str:
    """Who a bucket counts: the API key's hash (never the key), else the client address."""
    if api_key:
        return "k:" + hashlib.sha256(api_key.encode()).hexdigest()[:24]
    return "a:" + (client or "unknown")
