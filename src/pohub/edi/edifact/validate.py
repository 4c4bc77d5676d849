"""Validate an EDIFACT interchange: envelopes, then each message against its spec (CONTRL codes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pohub.edi.edifact.envelope import EdifactInterchange, Message, split
from pohub.edi.edifact.errors import EdifactError, Level
from pohub.edi.edifact.messages import DATE_FORMATS, MESSAGES, MessageSpec
from pohub.edi.edifact.syntax import EdifactSyntaxError, Seg, Una, parse

_NUMBER = re.compile(r"-?\d+([.,]\d+)?")
CENT = Decimal("0.01")


@dataclass
class EdifactResult:
    una: Una | None
    interchange: EdifactInterchange | None
    errors: list[EdifactError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        if self.interchange is None or self.errors:
            return False
        return all(not m.errors for m in self.interchange.messages)


def number(value: str) -> Decimal | None:
    """An EDIFACT numeric value (either decimal mark); None when empty or malformed."""
    return Decimal(value.replace(",", ".")) if _NUMBER.fullmatch(value) else None


def _e(code: str, why: str, seg: Seg, pos: int, element: int = 0, component: int = 0) -> EdifactError:
    return EdifactError(
        Level.ELEMENT if element else Level.SEGMENT, code, why, seg.tag, seg.position, pos, element, component
    )


def _check_values(seg: Seg, pos: int, spec: MessageSpec) -> list[EdifactError]:
    errors: list[EdifactError] = []
    numeric = {"QTY": 2, "PRI": 2, "MOA": 2, "CNT": 2}
    if seg.tag in numeric and number(seg.comp(1, numeric[seg.tag])) is None:
        errors.append(_e("37", f"{seg.tag} value {seg.comp(1, numeric[seg.tag])!r} is not a number", seg, pos, 1, 2))
    if seg.tag == "BGM":
        if spec.documents and seg.comp(1, 1) not in spec.documents:
            errors.append(
                _e(
                    "12",
                    f"document name code {seg.comp(1, 1)!r} is not {'/'.join(sorted(spec.documents))} for {spec.type}",
                    seg,
                    pos,
                    1,
                    1,
                )
            )
        if not seg.comp(2):
            errors.append(_e("13", "document number (1004) is missing", seg, pos, 2))
        if spec.functions is not None and seg.comp(3) and seg.comp(3) not in spec.functions:
            errors.append(
                _e(
                    "12",
                    f"message function {seg.comp(3)!r} is not one of {', '.join(sorted(spec.functions))}",
                    seg,
                    pos,
                    3,
                )
            )
    elif seg.tag == "QTY" and seg.comp(1, 1) not in spec.quantities:
        errors.append(
            _e(
                "12",
                f"quantity qualifier {seg.comp(1, 1)!r} is not one pohub maps for {spec.type} "
                f"({', '.join(sorted(spec.quantities))})",
                seg,
                pos,
                1,
                1,
            )
        )
    elif seg.tag == "LIN" and spec.line_actions is not None and seg.comp(2) and seg.comp(2) not in spec.line_actions:
        errors.append(
            _e("12", f"action code {seg.comp(2)!r} is not one of {', '.join(sorted(spec.line_actions))}", seg, pos, 2)
        )
    elif seg.tag == "DTM":
        digits = DATE_FORMATS.get(seg.comp(1, 3) or "102")
        value = seg.comp(1, 2)
        if digits is None:
            errors.append(
                _e("12", f"date format {seg.comp(1, 3)!r} is not one of {', '.join(DATE_FORMATS)}", seg, pos, 1, 3)
            )
        elif value and not _valid_date(value, digits):
            errors.append(
                _e("12", f"{value!r} is not a valid date in format {seg.comp(1, 3) or '102'}", seg, pos, 1, 2)
            )
    elif seg.tag == "NAD" and not seg.comp(1):
        errors.append(_e("13", "party qualifier (3035) is missing", seg, pos, 1))
    return errors


def _valid_date(value: str, digits: int) -> bool:
    if len(value) != digits or not value.isdigit():
        return False
    try:
        datetime.strptime(value, {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}[digits])
    except ValueError:
        return False
    return True


def _check_sections(message: Message, spec: MessageSpec) -> list[EdifactError]:
    errors: list[EdifactError] = []
    section = "header"
    allowed = {"header": spec.header, "detail": spec.detail, "summary": spec.summary}
    for pos, seg in enumerate(message.body[1:-1], start=2):
        if seg.tag == spec.line_tag and section == "header":
            section = "detail"
        if seg.tag == "UNS":
            section = "summary"
            continue
        if seg.tag not in allowed[section]:
            known = any(seg.tag in tags for tags in allowed.values())
            why = (
                f"{seg.tag} is not allowed in the {section} of {spec.type}" if known else f"unknown segment {seg.tag!r}"
            )
            errors.append(_e("15", why, seg, pos))
        errors += _check_values(seg, pos, spec)
    tags = [(s.tag, s.comp(1, 1)) for s in message.body]
    for tag, qualifier in spec.mandatory:
        if not any(t == tag and (not qualifier or q == qualifier) for t, q in tags):
            name = f"{tag}+{qualifier}" if qualifier else tag
            errors.append(
                EdifactError(Level.SEGMENT, "13", f"mandatory segment {name} is missing", tag, message.unh.position, 1)
            )
    if spec.line_required and not any(t == spec.line_tag for t, _ in tags):
        errors.append(
            EdifactError(
                Level.SEGMENT,
                "13",
                f"{spec.type} needs at least one {spec.line_tag}",
                spec.line_tag,
                message.unh.position,
                1,
            )
        )
    return errors


def _check_counts(message: Message, spec: MessageSpec) -> list[EdifactError]:
    errors: list[EdifactError] = []
    body = message.body
    for pos, seg in enumerate(body, start=1):
        if seg.tag != "CNT" or (given := number(seg.comp(1, 2))) is None:
            continue
        if seg.comp(1, 1) == "2" and given != sum(1 for s in body if s.tag == "LIN"):
            errors.append(
                _e(
                    "29",
                    f"CNT 2 says {given} lines, the message has {sum(1 for s in body if s.tag == 'LIN')}",
                    seg,
                    pos,
                    1,
                    2,
                )
            )
        if seg.comp(1, 1) == "1" and spec.hash_quantity:
            total = sum(
                (
                    number(s.comp(1, 2)) or Decimal(0)
                    for s in body
                    if s.tag == "QTY" and s.comp(1, 1) == spec.hash_quantity
                ),
                Decimal(0),
            )
            if given != total:
                errors.append(
                    _e("29", f"CNT 1 says {given}, the QTY {spec.hash_quantity} add up to {total}", seg, pos, 1, 2)
                )
    if spec.type == "DESADV":
        seen: set[str] = set()
        for pos, seg in enumerate(body, start=1):
            if seg.tag == "CPS":
                if seg.comp(2) and seg.comp(2) not in seen:
                    errors.append(_e("12", f"CPS parent {seg.comp(2)!r} names no earlier CPS", seg, pos, 2))
                seen.add(seg.comp(1))
    if spec.type == "INVOIC":
        errors += _invoice_totals(body)
    return errors


def invoice_amounts(body: list[Seg]) -> dict[str, Decimal]:
    """Summary MOA amounts by qualifier (after UNS), summed."""
    out: dict[str, Decimal] = {}
    after = False
    for seg in body:
        after = after or seg.tag == "UNS"
        if after and seg.tag == "MOA" and (value := number(seg.comp(1, 2))) is not None:
            out[seg.comp(1, 1)] = out.get(seg.comp(1, 1), Decimal(0)) + value
    return out


def _invoice_totals(body: list[Seg]) -> list[EdifactError]:
    errors: list[EdifactError] = []
    lines_total = Decimal(0)
    qty = price = None
    for pos, seg in enumerate(body, start=1):
        if seg.tag == "LIN":
            qty = price = None
        elif seg.tag == "QTY" and seg.comp(1, 1) == "47":
            qty = number(seg.comp(1, 2))
        elif seg.tag == "PRI":
            price = number(seg.comp(1, 2))
        elif seg.tag == "UNS":
            break
        elif seg.tag == "MOA" and seg.comp(1, 1) == "203" and (amount := number(seg.comp(1, 2))) is not None:
            lines_total += amount
            if qty is not None and price is not None and (qty * price).quantize(CENT, ROUND_HALF_UP) != amount:
                errors.append(_e("12", f"line amount {amount} is not {qty} x {price}", seg, pos, 1, 2))
    sums = invoice_amounts(body)
    where = next((p for p, s in enumerate(body, start=1) if s.tag == "MOA" and s.comp(1, 1) == "77"), 0)
    if "79" in sums and sums["79"] != lines_total:
        errors.append(
            EdifactError(
                Level.ELEMENT,
                "12",
                f"MOA 79 {sums['79']} is not the sum of line amounts {lines_total}",
                "MOA",
                0,
                where,
                1,
                2,
            )
        )
    expected = (
        sums.get("79", lines_total)
        + sums.get("124", Decimal(0))
        + sums.get("23", Decimal(0))
        - sums.get("204", Decimal(0))
    )
    if "77" in sums and sums["77"] != expected:
        seg = body[where - 1]
        errors.append(
            _e(
                "12",
                f"MOA 77 {sums['77']} should be {expected}: lines + taxes + charges - allowances",
                seg,
                where,
                1,
                2,
            )
        )
    return errors


def read_edifact(
    data: bytes | str, extra: Callable[[str, list[Seg]], list[EdifactError]] | None = None
) -> EdifactResult:
    """Parse (UNA service characters, release character), split the envelopes, validate each message
    (and by ``extra``, a partner's guide, when given)."""
    try:
        una, segments = parse(data)
    except EdifactSyntaxError as exc:
        return EdifactResult(None, None, [EdifactError(Level.INTERCHANGE, exc.code, exc.message, "UNB", 1)])
    if not segments or segments[0].tag != "UNB":
        return EdifactResult(una, None, [EdifactError(Level.INTERCHANGE, "13", "UNB is missing", "UNB", 1)])
    interchange = split(segments)
    for message in interchange.messages:
        spec = MESSAGES.get(message.type)
        if spec is None:
            message.errors.append(
                EdifactError(
                    Level.MESSAGE,
                    "15",
                    f"message type {message.type!r} is not supported",
                    "UNH",
                    message.unh.position,
                    1,
                    2,
                )
            )
            continue
        if message.type != "CONTRL" and message.directory != "D96A":
            message.errors.append(
                EdifactError(
                    Level.MESSAGE,
                    "2",
                    f"directory {message.directory!r} is not supported (D96A is)",
                    "UNH",
                    message.unh.position,
                    1,
                    2,
                )
            )
            continue
        message.errors += _check_sections(message, spec) + _check_counts(message, spec)
        if extra is not None:
            message.errors += extra(message.type, list(message.body))
    return EdifactResult(una, interchange, list(interchange.errors))
