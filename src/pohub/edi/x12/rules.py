"""Checks across segments: HL parent pointers and levels, CTT line counts and hash totals, TDS in cents.

The 997 has no code for "this figure does not add up": pohub reports such an element as AK403 7 (invalid
value) with the figure it found in AK404, and the exchange's error text gives the figure it expected.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pohub.edi.x12.dictionary.sets import SetSpec
from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.segments import Segment

INVALID_VALUE = "7"
CENT = Decimal("0.01")

# HL03 -> the levels it may hang under (None: the top of the hierarchy).
HL_PARENTS: dict[str, frozenset[str | None]] = {
    "S": frozenset({None}),
    "O": frozenset({"S"}),
    "T": frozenset({"O", "S"}),
    "P": frozenset({"O", "T", "S"}),
    "I": frozenset({"O", "T", "P"}),
}


def _error(seg: Segment, pos: int, element: int, ref: str, why: str) -> X12Error:
    value = seg.get(element)
    return X12Error(Level.ELEMENT, INVALID_VALUE, why, seg.id, seg.position, pos, element, 0, ref, value[:99])


def decimal(value: str) -> Decimal | None:
    """A decimal from an R or N0 element; None when empty or malformed (elementcheck reports those)."""
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _hierarchy(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    errors: list[X12Error] = []
    levels: dict[str, str] = {}
    for pos, seg in enumerate(body, start=1):
        if seg.id != "HL":
            continue
        own, parent, level = seg.get(1), seg.get(2), seg.get(3)
        if own in levels:
            errors.append(_error(seg, pos, 1, "628", f"HL01 {own!r} is used twice"))
        if parent and parent not in levels:
            errors.append(_error(seg, pos, 2, "734", f"HL02 {parent!r} names no earlier HL"))
        elif level in HL_PARENTS and (levels.get(parent) if parent else None) not in HL_PARENTS[level]:
            under = f"under {levels[parent]!r}" if parent else "at the top"
            errors.append(_error(seg, pos, 3, "735", f"an HL of level {level!r} cannot stand {under}"))
        levels[own] = level
    return errors


def _totals(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    ctt = next(((pos, seg) for pos, seg in enumerate(body, start=1) if seg.id == "CTT"), None)
    if ctt is None or not spec.line_segment:
        return []
    pos, seg = ctt
    errors: list[X12Error] = []
    lines = sum(1 for s in body if s.id == spec.line_segment)
    if seg.get(1).isdigit() and int(seg.get(1)) != lines:
        errors.append(_error(seg, pos, 1, "354", f"CTT01 says {seg.get(1)} lines, the set has {lines}"))
    given = decimal(seg.get(2))
    if given is not None and spec.hash_sources:
        sums = [
            sum((decimal(s.get(n)) or Decimal(0) for s in body if s.id == sid), Decimal(0))
            for sid, n in spec.hash_sources
        ]
        if given not in sums:
            expected = " or ".join(
                f"{total} (sum of {sid}{n:02d})" for total, (sid, n) in zip(sums, spec.hash_sources, strict=True)
            )
            errors.append(_error(seg, pos, 2, "347", f"CTT02 hash total {given} should be {expected}"))
    return errors


def invoice_total(body: list[Segment]) -> Decimal:
    """What TDS01 must say: lines (IT102 x IT104) + taxes (TXI02) + charges - allowances (SAC05, cents)."""
    total = Decimal(0)
    for seg in body:
        if seg.id == "IT1":
            total += (decimal(seg.get(2)) or 0) * (decimal(seg.get(4)) or 0)
        elif seg.id == "TXI":
            total += decimal(seg.get(2)) or 0
        elif seg.id == "SAC" and seg.get(1) in ("A", "C"):
            cents = decimal(seg.get(5)) or Decimal(0)
            total += cents / 100 if seg.get(1) == "C" else -cents / 100
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def _invoice(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    tds = next(((pos, seg) for pos, seg in enumerate(body, start=1) if seg.id == "TDS"), None)
    if tds is None or not seg_digits(tds[1].get(1)):
        return []
    pos, seg = tds
    expected = invoice_total(body)
    given = Decimal(seg.get(1)) / 100
    if given != expected:
        return [
            _error(
                seg,
                pos,
                1,
                "610",
                f"TDS01 {seg.get(1)} (cents) should be {int(expected * 100)}: "
                f"lines + taxes + charges - allowances = {expected}",
            )
        ]
    return []


def seg_digits(value: str) -> bool:
    return value.lstrip("-").isdigit()


RULES: dict[str, tuple[Callable[[list[Segment], SetSpec], list[X12Error]], ...]] = {
    "850": (_totals,),
    "855": (_totals,),
    "860": (_totals,),
    "865": (_totals,),
    "846": (_totals,),
    "180": (_totals,),
    "856": (_hierarchy, _totals),
    "810": (_totals, _invoice),
}


def check_rules(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    """Every cross-segment rule of ``spec``'s set."""
    return [error for rule in RULES.get(spec.id, ()) for error in rule(body, spec)]


def sscc_valid(value: str) -> bool:
    """An SSCC-18 (optionally behind its application identifier 00) with a correct GS1 check digit."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return False
    body = [int(c) for c in digits[:-1]]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(digits[-1])


def _sscc(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    return [
        _error(seg, pos, 2, "87", f"MAN02 {seg.get(2)!r} is not an SSCC-18 with a valid check digit")
        for pos, seg in enumerate(body, start=1)
        if seg.id == "MAN" and seg.get(1) == "GM" and not sscc_valid(seg.get(2))
    ]


RULES["856"] = (_hierarchy, _totals, _sscc)
