"""Refusals in each dialect's own words.

The hub's rules name the hub's fields (``AckLines[0].Quantity``, ``PartnerPO``), but a Kojo, Spectrum
or warehouse caller sent other names. Each dialect keeps one ``FieldTable`` beside its translation
(hub path -> its own path), and its handlers pass every refusal of the hub's rules through
``in_dialect`` before it is answered or recorded: the field paths and the words of the message alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from pohub.core import jsonio
from pohub.core.errors import FieldError, PohubError, Unprocessable

T = TypeVar("T")

_INDEX = re.compile(r"\[(\d+)\]")
# A hub field path in running text: PascalCase segments, each with an optional index.
_TOKEN = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[A-Z][A-Za-z0-9]*(?:\[\d+\])?)*")
_PLACEHOLDER = re.compile(r"\{[^}]*\}|\[[^\]]*\]")


def shown(value: Any) -> str:
    """A value as the caller wrote it in JSON (``2.5``, ``"lots"``), never a Python repr."""
    if isinstance(value, Decimal):
        return str(value)
    try:
        return jsonio.dumps(value).decode()
    except TypeError:
        return str(value)


def _parent(key: str) -> str:
    if key.endswith("[]"):
        return key[:-2]
    return key.rpartition(".")[0]


def _leaf(path: str) -> str:
    return _PLACEHOLDER.sub("", path.rpartition(".")[2])


@dataclass(frozen=True)
class FieldTable:
    """A dialect's names for the hub's fields.

    ``paths`` maps a hub path, every list index written ``[]``, to the dialect's path. In the
    dialect's path ``{0}``, ``{1}`` are the hub path's own indexes, and ``{line}`` is where the
    hub's line came from in the message (a translation may make several hub lines of one item;
    it then passes the origin of each line). A hub path not in the table takes its nearest listed
    parent's name; a path that is not the hub's at all (already the dialect's) is left alone.
    """

    dialect: str
    paths: Mapping[str, str]
    line: str  # the dialect path of hub line {0} when the translation gave no origins
    # hub path -> the error to tell instead, where the hub's own words would not make sense in the
    # dialect (which has no ReceiverCompanyId to be required).
    reasons: Mapping[str, str] = field(default_factory=dict)
    # the hub's document names as the dialect calls them ("The SalesOrder is not valid").
    names: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, str] = field(init=False)
    roots: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        leaves: dict[str, set[str]] = {}
        for hub, ours in self.paths.items():
            mine = _leaf(ours)
            if mine:
                leaves.setdefault(_leaf(hub), set()).add(mine)
        words = {hub: next(iter(ours)) for hub, ours in leaves.items() if len(ours) == 1 and hub[:1].isupper()}
        words.update(self.names)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "roots", frozenset(k.split(".")[0].split("[")[0] for k in self.paths))

    def is_hub(self, path: str) -> bool:
        return path.split(".")[0].split("[")[0] in self.roots

    def key_for(self, hub: str) -> str | None:
        """The entry a hub path takes its name from: its own, else its nearest listed parent's."""
        key = _INDEX.sub("[]", hub)
        while key:
            if key in self.paths:
                return key
            key = _parent(key)
        return None

    def path(self, hub: str, lines: Sequence[str] = ()) -> str:
        """The dialect's path for a hub path (``AckLines[2].Quantity`` -> ``acknowledgementItems[2].quantity``)."""
        if not self.is_hub(hub):
            return hub
        key = self.key_for(hub)
        if key is None:
            return self.paths.get("body", "body")
        return self._fill(self.paths[key], [int(i) for i in _INDEX.findall(hub)], lines)

    def _fill(self, target: str, indexes: list[int], lines: Sequence[str]) -> str:
        first = indexes[0] if indexes else 0
        line = lines[first] if first < len(lines) else self.line.format(first)
        return target.replace("{line}", line).format(*indexes, *([0] * 4))

    def text(self, message: str, lines: Sequence[str] = ()) -> str:
        """A message with every hub field it names put in the dialect's words."""

        def swap(match: re.Match[str]) -> str:
            token = match.group(0)
            key = _INDEX.sub("[]", token)
            if key in self.paths or (("." in token or "[" in token) and self.is_hub(token)):
                return self.path(token, lines)
            return self.words.get(token, token)

        return _TOKEN.sub(swap, message)


class Problems:
    """Every refusal one message earns, collected so that the caller hears of all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, error: str) -> None:
        self.errors.append(FieldError(field, error))

    def bounded(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``check(*args, **kwargs)`` (one of pohub.dialects.bounds); a refusal becomes problems
        (naming the dialect's field and the limit) and None."""
        try:
            return check(*args, **kwargs)
        except Unprocessable as exc:
            self.errors.extend(exc.errors)
            return None

    def raise_any(self, refusal: type[PohubError] = Unprocessable) -> None:
        """Raise one refusal listing every problem, if there is any."""
        if self.errors:
            first = self.errors[0]
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise refusal(f"{first.field}: {first.error}{more}", list(self.errors))


def in_dialect(exc: PohubError, table: FieldTable, lines: Sequence[str] = ()) -> PohubError:
    """Rewrite a refusal of the hub's rules in place, in the dialect's words; returns it to re-raise."""
    reasons = [table.reasons.get(e.field) for e in exc.errors]
    exc.errors = [
        FieldError(table.path(e.field, lines), reason or table.text(e.error, lines))
        for e, reason in zip(exc.errors, reasons, strict=True)
    ]
    if any(reasons) and len(exc.errors) == 1:
        exc.message = f"{exc.errors[0].field} {exc.errors[0].error}"
    else:
        exc.message = table.text(exc.message, lines)
    exc.args = (exc.message,)
    return exc
