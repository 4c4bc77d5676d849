"""Read an interchange: tokenize, split the envelopes, validate every set. Nothing here raises on bad
input except what cannot be tokenized at all; every finding is an X12Error on the level it belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pohub.edi.x12.dictionary.segments import SEGMENTS
from pohub.edi.x12.dictionary.sets import SETS
from pohub.edi.x12.elementcheck import check_segment
from pohub.edi.x12.envelope import Group, Interchange, TransactionSet, split
from pohub.edi.x12.errors import Level, X12Error, X12SyntaxError
from pohub.edi.x12.rules import check_rules
from pohub.edi.x12.segments import Delimiters, Segment
from pohub.edi.x12.structure import check_structure
from pohub.edi.x12.tokenizer import tokenize

SUPPORTED_VERSIONS = ("004010", "005010")
# A set in a group of another functional id: 005010 has its own code (18), 004010 reports the identifier.
_SET_NOT_IN_GROUP = {"004010": "6", "005010": "18"}
# GS element in error -> AK905 (7, 8, 9, 30 and 31 are 005010's codes; pohub uses them for 004010 too).
_GS_CODES = {1: "1", 2: "7", 3: "8", 4: "30", 5: "31", 6: "6", 7: "9", 8: "2"}
# Further checks of one set (a partner's implementation guide): set id, body -> findings.
ExtraCheck = Callable[[str, list[Segment]], list[X12Error]]


@dataclass
class ReadResult:
    """An interchange as read: its envelopes and sets with their errors, or why it could not be read."""

    delimiters: Delimiters | None
    interchange: Interchange | None
    syntax_error: X12SyntaxError | None = None
    errors: list[X12Error] = field(default_factory=list)  # interchange level (TA1)

    @property
    def accepted(self) -> bool:
        """True when every set of every group passed: only then may anything be applied."""
        if self.interchange is None or self.errors:
            return False
        return all(not g.errors and all(not s.errors for s in g.sets) for g in self.interchange.groups)


def version_of(group: Group) -> str | None:
    """The dictionary version for a group's GS08 ("004010VICS" reads as 004010), None if unsupported."""
    return next((v for v in SUPPORTED_VERSIONS if group.version.startswith(v)), None)


def _check_set(
    tset: TransactionSet,
    group: Group,
    version: str,
    delimiters: Delimiters,
    seen: set[str],
    extra: ExtraCheck | None = None,
) -> None:
    spec = SETS.get(tset.id)
    if spec is None:
        tset.errors.append(
            X12Error(Level.SET, "1", f"transaction set {tset.id!r} is not supported", "ST", tset.st.position)
        )
        return
    if not re.fullmatch(r"[^\s]{4,9}", tset.control):
        tset.errors.append(
            X12Error(Level.SET, "7", f"ST02 {tset.control!r} is not a valid control number", "ST", tset.st.position)
        )
    elif tset.control in seen:
        tset.errors.append(
            X12Error(Level.SET, "23", f"ST02 {tset.control!r} is used twice in the group", "ST", tset.st.position)
        )
    seen.add(tset.control)
    if spec.functional_id != group.functional_id:
        tset.errors.append(
            X12Error(
                Level.SET,
                _SET_NOT_IN_GROUP[version],
                f"a {tset.id} belongs in a {spec.functional_id} group, not {group.functional_id!r} (GS01)",
                "ST",
                tset.st.position,
            )
        )
    found = check_structure(tset.body, spec)
    for pos, seg in enumerate(tset.body, start=1):
        definition = SEGMENTS.get(seg.id)
        if definition is not None and seg.id not in ("ST", "SE"):
            found += check_segment(
                seg, definition, version=version, delimiters=delimiters, set_position=pos, restricted=spec.restricted
            )
    found += check_rules(tset.body, spec)
    if extra is not None:
        found += extra(tset.id, tset.body)
    if found:
        tset.errors += sorted(found, key=lambda e: (e.position, e.element))
        tset.errors.append(X12Error(Level.SET, "5", "one or more segments in error", "SE", tset.body[-1].position))


def _check_group(group: Group, delimiters: Delimiters, extra: ExtraCheck | None = None) -> None:
    gs = group.gs
    if group.functional_id not in {spec.functional_id for spec in SETS.values()}:
        group.errors.append(
            X12Error(Level.GROUP, "1", f"functional group {group.functional_id!r} is not supported", "GS", gs.position)
        )
    if not re.fullmatch(r"\d{1,9}", group.control):
        group.errors.append(
            X12Error(Level.GROUP, "6", f"GS06 {group.control!r} is not a valid control number", "GS", gs.position)
        )
    version = version_of(group)
    if version is None:
        group.errors.append(
            X12Error(Level.GROUP, "2", f"version {group.version!r} (GS08) is not supported", "GS", gs.position)
        )
        return
    gs_errors = check_segment(gs, SEGMENTS["GS"], version=version, delimiters=delimiters, set_position=0)
    for error in gs_errors:
        code = _GS_CODES.get(error.element, "6")
        group.errors.append(
            X12Error(Level.GROUP, code, f"GS: {error.message}", "GS", gs.position, element=error.element)
        )
    seen: set[str] = set()
    for tset in group.sets:
        _check_set(tset, group, version, delimiters, seen, extra)


def read_interchange(data: bytes | str, extra: ExtraCheck | None = None) -> ReadResult:
    """Tokenize with the delimiters ISA declares, split the envelopes, and validate everything in them
    (and by ``extra``, a partner's guide, when given)."""
    try:
        delimiters, segments = tokenize(data)
    except X12SyntaxError as exc:
        return ReadResult(None, None, exc, [X12Error(Level.INTERCHANGE, exc.code, exc.message, "ISA", 1)])
    interchange = split(segments)
    for group in interchange.groups:
        _check_group(group, delimiters, extra)
    return ReadResult(delimiters, interchange, None, list(interchange.errors))


def sets_of(result: ReadResult, set_id: str) -> list[list[Segment]]:
    """The bodies (ST..SE) of the accepted sets of one kind."""
    if result.interchange is None:
        return []
    return [
        t.body for g in result.interchange.groups if not g.errors for t in g.sets if t.id == set_id and not t.errors
    ]
