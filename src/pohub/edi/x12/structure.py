"""Segment order against a set's outline: loops, mandatory segments, maximum use (AK3 codes).

The walk keeps a stack of open loops. A segment is looked for from the current place forward in the
innermost loop, then in each enclosing one; finding a loop's trigger again starts a new iteration. A
segment found nowhere ahead is out of sequence (7) when the set has it, not in the set (6) when pohub
knows it from another set, and unrecognised (1) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pohub.edi.x12.dictionary.sets import KNOWN_SEGMENTS, Loop, SetSpec, Use
from pohub.edi.x12.errors import Level, X12Error
from pohub.edi.x12.segments import Segment


@dataclass
class _Frame:
    loop: Loop
    index: int = 0  # the child last matched
    counts: dict[int, int] = field(default_factory=dict)


def _matches(child: Use | Loop, seg_id: str) -> bool:
    return child.id == seg_id if isinstance(child, Use) else child.trigger == seg_id


def _missing(frame: _Frame, start: int, stop: int, seg: Segment, set_position: int) -> list[X12Error]:
    """Mandatory children of ``frame`` between ``start`` and ``stop`` that never occurred."""
    errors = []
    for i in range(start, stop):
        child = frame.loop.children[i]
        if child.required and not frame.counts.get(i):
            seg_id = child.id if isinstance(child, Use) else child.trigger
            errors.append(
                X12Error(
                    Level.SEGMENT,
                    "3",
                    f"mandatory segment {seg_id} missing before {seg.id}",
                    seg_id,
                    seg.position,
                    set_position,
                    loop_id=frame.loop.id if frame.loop.id != frame.loop.trigger else "",
                )
            )
    return errors


def check_structure(body: list[Segment], spec: SetSpec) -> list[X12Error]:
    """Errors in the order and number of ``body`` (ST to SE inclusive) against ``spec``."""
    errors: list[X12Error] = []
    stack = [_Frame(spec.structure, -1)]
    set_ids = spec.segment_ids()
    for set_position, seg in enumerate(body, start=1):
        placed = False
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            # A loop's own trigger never repeats inside it: seeing it again is the next iteration.
            first = max(frame.index, 1 if depth else 0)
            children = frame.loop.children
            found = next((i for i in range(first, len(children)) if _matches(children[i], seg.id)), None)
            if found is None:
                continue
            for inner in stack[depth + 1 :]:
                errors += _missing(inner, inner.index + 1, len(inner.loop.children), seg, set_position)
            del stack[depth + 1 :]
            errors += _missing(frame, frame.index + 1, found, seg, set_position)
            child = children[found]
            count = frame.counts.get(found, 0) + 1
            frame.counts[found] = count
            frame.index = found
            if count > child.max:
                code, what = ("5", "segment") if isinstance(child, Use) else ("4", "loop")
                errors.append(
                    X12Error(
                        Level.SEGMENT,
                        code,
                        f"{seg.id} {what} occurs more than {child.max} times",
                        seg.id,
                        seg.position,
                        set_position,
                    )
                )
            if isinstance(child, Loop):
                stack.append(_Frame(child, 0, {0: 1}))
            placed = True
            break
        if not placed:
            if seg.id in set_ids:
                code, why = "7", f"{seg.id} is not in its proper place"
            elif seg.id in KNOWN_SEGMENTS:
                code, why = "6", f"{seg.id} is not in transaction set {spec.id}"
            else:
                code, why = "1", f"unrecognised segment id {seg.id!r}"
            errors.append(X12Error(Level.SEGMENT, code, why, seg.id, seg.position, set_position))
    if body:
        last = body[-1]
        for frame in stack[1:]:
            errors += _missing(frame, frame.index + 1, len(frame.loop.children), last, len(body))
        errors += _missing(stack[0], stack[0].index + 1, len(stack[0].loop.children), last, len(body))
    return errors
