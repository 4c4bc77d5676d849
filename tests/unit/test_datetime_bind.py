"""AwareDateTime's direct bind on SQLite (db/base.py) writes what SQLAlchemy's own processor writes,
for every value in any order, though it answers None at once and keeps the text of the last UTC
time it wrote (by identity): an equal time that is another object, a time in another zone, a naive
time and other types after it each get their own answer. ExactDecimal's (None at once) likewise."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from pohub.db.base import AwareDateTime, ExactDecimal
from pohub.db.fast import _direct


def _binds() -> tuple[Any, Any]:
    type_ = AwareDateTime()
    usual = type_._cached_bind_processor(sqlite.dialect())
    fast = _direct("bind", type_, sqlite.dialect(), usual)
    assert fast is not usual  # the direct bind is the one db/fast runs
    return fast, usual


class _Later(datetime):
    """A datetime subclass: not the exact type, so it takes SQLAlchemy's road."""


def _values(rng: random.Random) -> list[Any]:
    def utc() -> datetime:
        return datetime(1, 1, 1, tzinfo=UTC) + timedelta(
            days=rng.randrange(3_652_058),
            seconds=rng.randrange(86_400),
            microseconds=rng.choice([0, rng.randrange(10**6)]),
        )

    made: list[Any] = []
    for _ in range(400):
        base = utc()
        made.append(base)
        pick = rng.randrange(7)
        if pick == 0:
            made.append(base.replace())  # equal, another object
        elif pick == 1:
            # the same instant elsewhere
            made.append(base.astimezone(timezone(timedelta(hours=rng.randrange(-12, 13)))))
        elif pick == 2:
            made.append(base.replace(microsecond=0))  # the same second, no microseconds
        elif pick == 3:
            made.append(None)
        elif pick == 4:
            made.append(_Later(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
        elif pick == 5:
            made.append(date(2026, 3, 4))
    return made


def test_the_direct_bind_writes_what_sqlalchemy_writes_in_any_order() -> None:
    fast, usual = _binds()
    rng = random.Random(24)
    values = _values(rng)
    order = [rng.choice(values) for _ in range(6_000)] + values
    for value in order:
        assert fast(value) == usual(value), value


def test_the_same_time_again_is_not_formatted_again() -> None:
    fast, usual = _binds()
    now = datetime(2026, 12, 2, 17, 30, 0, 123, tzinfo=UTC)
    first = fast(now)
    assert first == usual(now) == "2026-12-02 17:30:00.000123"
    assert fast(now) is first  # kept: fails if each call formats anew
    equal = now.replace()
    assert fast(equal) == first and fast(equal) is not first  # another object: its own text
    elsewhere = now.astimezone(timezone(timedelta(hours=2)))
    assert fast(elsewhere) == usual(elsewhere) == first  # converted to UTC first, as SQLAlchemy does
    assert fast(None) is None


def test_a_naive_time_is_refused_even_right_after_the_same_instant() -> None:
    fast, _ = _binds()
    now = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)
    fast(now)
    with pytest.raises(ValueError, match="naive datetime"):
        fast(now.replace(tzinfo=None))


def test_the_money_bind_writes_what_sqlalchemy_writes() -> None:
    type_ = ExactDecimal()
    usual = type_._cached_bind_processor(sqlite.dialect())
    fast = _direct("bind", type_, sqlite.dialect(), usual)
    assert fast is not usual
    rng = random.Random(24)
    values: list[Any] = [None, 0, 3, "1.5", Decimal("-0"), Decimal("1E+2"), Decimal("0E-6")]
    values += [Decimal(rng.randrange(-(10**20), 10**20)).scaleb(-rng.randrange(0, 7)) for _ in range(2_000)]
    for value in values:
        assert fast(value) == usual(value), value


@pytest.mark.parametrize("type_", [AwareDateTime(), ExactDecimal()], ids=["time", "money"])
def test_the_direct_results_read_what_sqlalchemy_reads_and_none_at_once(type_: Any) -> None:
    """A NULL read back (most lines' ack price, a delivery's times) is None without SQLAlchemy's
    layers; every other stored text reads as the usual processor reads it."""
    dialect = sqlite.dialect()
    usual = type_._cached_result_processor(dialect, None)
    fast = _direct("result", type_, dialect, usual)
    assert fast is not usual
    rng = random.Random(25)
    if isinstance(type_, AwareDateTime):
        texts = [f"{rng.randrange(1, 10000):04d}-03-04 05:06:07.{rng.randrange(10**6):06d}" for _ in range(500)]
    else:
        texts = [format(Decimal(rng.randrange(-(10**20), 10**20)).scaleb(-6), "f") for _ in range(500)]
    for text in [*texts, None]:
        mine, theirs = fast(text), usual(text)
        assert mine == theirs and type(mine) is type(theirs), text

    def refuse(value: Any) -> Any:
        raise AssertionError(f"the usual processor was called for {value!r}")

    made = type_.direct_result(dialect, refuse)
    assert made(None) is None
