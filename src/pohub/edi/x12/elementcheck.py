"""One segment's elements against the dictionary: presence, count, type, length, code list (AK4 codes)."""

from __future__ import annotations

import re
from datetime import date

from pohub.edi.x12.dictionary.elements import Element, element
from pohub.edi.x12.dictionary.segments import SegmentDef
from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.segments import Delimiters, Segment

_NUMERIC = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_TIME = re.compile(r"(\d{2})(\d{2})(\d{2})?(\d{1,2})?")
# The basic and extended character sets less control characters.
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def _valid_date(value: str) -> bool:
    if not value.isdigit() or len(value) not in (6, 8):
        return False
    year = int(value[:-4]) + (2000 if len(value) == 6 else 0)
    try:
        date(year, int(value[-4:-2]), int(value[-2:]))
    except ValueError:
        return False
    return True


def _valid_time(value: str) -> bool:
    match = _TIME.fullmatch(value)
    return bool(match) and int(value[:2]) < 24 and int(value[2:4]) < 60 and int(match.group(3) or 0) < 60  # type: ignore[union-attr]


def check_value(value: str, spec: Element, delimiters: Delimiters) -> tuple[str, str] | None:
    """(AK403 code, why) when ``value`` breaks its definition; None when it is fine."""
    if spec.type == "C":
        return None
    if delimiters.component in value:
        return "6", f"a component separator {delimiters.component!r} in a simple element"
    if delimiters.repetition and delimiters.repetition in value:
        return "12", "repeated where the element does not repeat"
    if _BAD_CHARS.search(value):
        return "6", "a control character"
    kind = spec.type
    if kind == "DT":
        return None if _valid_date(value) and spec.min <= len(value) <= spec.max else ("8", "not a valid date")
    if kind == "TM":
        return None if _valid_time(value) and spec.min <= len(value) <= spec.max else ("9", "not a valid time")
    if kind.startswith("N"):
        if not _NUMERIC.fullmatch(value):
            return "6", f"type {kind} takes digits only (implied decimals, no point)"
        length = _digits(value)
    elif kind == "R":
        if not _DECIMAL.fullmatch(value):
            return "6", "not a decimal number"
        length = _digits(value)
    else:
        length = len(value)
    if length < spec.min:
        return "4", f"shorter than {spec.min}"
    if length > spec.max:
        return "5", f"longer than {spec.max}"
    if spec.codes is not None and value not in spec.codes:
        return "7", f"{value!r} is not one of {', '.join(sorted(spec.codes))}"
    return None


def check_segment(
    seg: Segment,
    definition: SegmentDef,
    *,
    version: str,
    delimiters: Delimiters,
    set_position: int,
    restricted: dict[tuple[str, int], frozenset[str]] | None = None,
) -> list[X12Error]:
    """Errors in one segment's elements (empty when it is clean, or when pohub does not check it)."""
    if definition.elements is None:
        return []
    errors: list[X12Error] = []

    def add(index: int, ref: str, code: str, why: str, value: str = "") -> None:
        errors.append(
            X12Error(
                Level.ELEMENT,
                code,
                why,
                seg.id,
                seg.position,
                set_position,
                index,
                0,
                ref,
                value[:99],
            )
        )

    uses = definition.elements
    for index, use in enumerate(uses, start=1):
        value = seg.get(index)
        spec = element(use.ref, version)
        if value == "":
            if use.required:
                add(index, use.ref, "1", f"{spec.name} is mandatory")
            continue
        problem = check_value(value, spec, delimiters)
        if problem is None and restricted and (seg.id, index) in restricted and value not in restricted[seg.id, index]:
            allowed = ", ".join(sorted(restricted[seg.id, index]))
            problem = ("7", f"{value!r} is not one pohub accepts here ({allowed})")
        if problem:
            add(index, use.ref, problem[0], f"{spec.name}: {problem[1]}", value)
    if not definition.open_ended and len(seg.elements) > len(uses):
        extra = len(uses) + 1
        add(extra, "", "3", f"{seg.id} has {len(seg.elements)} elements, at most {len(uses)} are defined")
    return errors
