"""Partner implementation guides: per set (or message), the optional segments a partner requires and
the codes it allows, checked on what the partner sends (reported in the 997 / CONTRL like any other
error) and on what pohub writes for it (refused before it leaves, naming the rule).

A guide is data, kept on the partner profile as JSON:

    {"850": {"Require": ["REF*DP", "DTM*002", "N1*ST"], "Codes": {"PO103": ["EA", "CA"]}},
     "ORDERS": {"Require": ["RFF+ON", "NAD+DP"], "Codes": {"QTY01.3": ["PCE"]}}}

``Require`` names a segment, optionally with the value of its first element (X12 ``SEG*VALUE``) or
of its first component (EDIFACT ``TAG+VALUE``): at least one such segment must be in the set.
``Codes`` names an element (``SEGnn``; EDIFACT ``TAGnn`` or ``TAGnn.m`` for a component) and the
values allowed in it wherever it is present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pohub.core.errors import FieldError, Unprocessable
from pohub.edi.edifact.errors import EdifactError
from pohub.edi.edifact.errors import Level as EdifactLevel
from pohub.edi.edifact.messages import MESSAGES
from pohub.edi.edifact.syntax import Seg
from pohub.edi.x12.dictionary.segments import SEGMENTS
from pohub.edi.x12.dictionary.sets import SETS
from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.segments import Segment

_REQUIRE = {
    "x12": re.compile(r"^([A-Z][A-Z0-9]{1,2})(?:\*([^*~]+))?$"),
    "edifact": re.compile(r"^([A-Z]{3})(?:\+([^+']+))?$"),
}
_ELEMENT = re.compile(r"^([A-Z][A-Z0-9]{1,2})(\d{2})(?:\.(\d))?$")
_SEPARATOR = {"x12": "*", "edifact": "+"}


@dataclass(frozen=True)
class Requirement:
    text: str  # as the guide writes it
    segment: str
    value: str | None


@dataclass(frozen=True)
class CodeRule:
    text: str
    segment: str
    element: int
    component: int  # EDIFACT; 0: the element's first component
    allowed: frozenset[str]


@dataclass(frozen=True)
class SetGuide:
    require: tuple[Requirement, ...]
    codes: tuple[CodeRule, ...]


Guide = dict[str, SetGuide]


def _known_sets(standard: str) -> set[str]:
    return set(SETS) - {"997"} if standard == "x12" else set(MESSAGES) - {"CONTRL"}


def parse(standard: str, raw: Any) -> Guide:
    """A guide from its JSON; every rule that is not one is named in one 422 (``Guide.<set>...``)."""
    errors: list[FieldError] = []
    if not isinstance(raw, dict):
        raise Unprocessable("The guide is not an object", [FieldError("Guide", "must be {set: {Require, Codes}}")])
    guide: Guide = {}
    known = _known_sets(standard)
    for set_id, rules in raw.items():
        where = f"Guide.{set_id}"
        if set_id not in known:
            errors.append(FieldError(where, f"must be a {standard} set pohub reads ({', '.join(sorted(known))})"))
            continue
        if not isinstance(rules, dict) or set(rules) - {"Require", "Codes"}:
            errors.append(FieldError(where, "must be an object with Require (a list) and/or Codes (an object)"))
            continue
        require = []
        for i, text in enumerate(rules.get("Require") or []):
            found = _REQUIRE[standard].match(text) if isinstance(text, str) else None
            if found is None:
                sep = _SEPARATOR[standard]
                errors.append(FieldError(f"{where}.Require[{i}]", f"must be a segment id, or SEG{sep}VALUE"))
            else:
                require.append(Requirement(text, found.group(1), found.group(2)))
        codes = []
        for name, allowed in (rules.get("Codes") or {}).items():
            found = _ELEMENT.match(name)
            if found is None or (standard == "x12" and found.group(3)):
                errors.append(FieldError(f"{where}.Codes.{name}", "must name an element as SEGnn (EDIFACT: TAGnn.m)"))
            elif not isinstance(allowed, list) or not allowed or not all(isinstance(v, str) and v for v in allowed):
                errors.append(FieldError(f"{where}.Codes.{name}", "must be a non-empty list of codes"))
            else:
                element, component = int(found.group(2)), int(found.group(3) or 0)
                codes.append(CodeRule(name, found.group(1), element, component, frozenset(allowed)))
        guide[set_id] = SetGuide(tuple(require), tuple(codes))
    if errors:
        raise Unprocessable("The implementation guide has errors", errors)
    return guide


def load(standard: str, raw: dict[str, Any] | None) -> Guide | None:
    """The guide kept on a profile (already checked when it was set), or None."""
    return parse(standard, raw) if raw else None


def check_x12(body: list[Segment], rules: SetGuide) -> list[X12Error]:
    """The guide's findings in one set (ST..SE): AK3 code 3 for a required segment missing, AK4 7
    for a code the partner does not allow."""
    errors: list[X12Error] = []
    end = body[-1] if body else Segment("SE")
    for need in rules.require:
        if not any(s.id == need.segment and (need.value is None or s.get(1) == need.value) for s in body):
            errors.append(
                X12Error(
                    Level.SEGMENT,
                    "3",
                    f"the partner's guide requires {need.text}",
                    need.segment,
                    end.position,
                    len(body),
                )
            )
    for pos, s in enumerate(body, start=1):
        for rule in rules.codes:
            value = s.get(rule.element) if s.id == rule.segment else ""
            if value and value not in rule.allowed:
                definition = SEGMENTS.get(s.id)
                uses = definition.elements if definition is not None and definition.elements else ()
                ref = uses[rule.element - 1].ref if rule.element <= len(uses) else ""
                allowed = ", ".join(sorted(rule.allowed))
                why = f"{rule.text} {value!r} is not a code the partner's guide allows ({allowed})"
                errors.append(X12Error(Level.ELEMENT, "7", why, s.id, s.position, pos, rule.element, 0, ref, value))
    return errors


def check_edifact(body: list[Seg], rules: SetGuide) -> list[EdifactError]:
    """The guide's findings in one message (UNH..UNT): CONTRL 13 missing, 12 invalid value."""
    errors: list[EdifactError] = []
    end_position = body[-1].position if body else 0
    for need in rules.require:
        if not any(s.tag == need.segment and (need.value is None or s.comp(1, 1) == need.value) for s in body):
            why = f"the partner's guide requires {need.text}"
            errors.append(EdifactError(EdifactLevel.SEGMENT, "13", why, need.segment, end_position, len(body)))
    for pos, s in enumerate(body, start=1):
        for rule in rules.codes:
            if s.tag != rule.segment:
                continue
            value = s.comp(rule.element, rule.component or 1)
            if value and value not in rule.allowed:
                allowed = ", ".join(sorted(rule.allowed))
                why = f"{rule.text} {value!r} is not a code the partner's guide allows ({allowed})"
                errors.append(
                    EdifactError(
                        EdifactLevel.ELEMENT, "12", why, s.tag, s.position, pos, rule.element, rule.component or 1
                    )
                )
    return errors
