"""db/fast takes a column type's direct conversion only where it gives exactly what SQLAlchemy's
processor gives for the type's samples (value and type); otherwise SQLAlchemy's processor stays."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from pohub.db.base import AwareDateTime, ExactDecimal
from pohub.db.fast import _direct


def usual(value: Any) -> Any:
    return None if value is None else format(value, "f")


class _Type:
    bind_samples = (Decimal("1.50"), None)

    def __init__(self, direct: Any) -> None:
        self._direct = direct

    def direct_bind(self, dialect: Any, usual: Any) -> Any:
        return self._direct


def test_a_direct_conversion_that_agrees_is_taken() -> None:
    right = lambda v: None if v is None else format(v, "f")  # noqa: E731
    assert _direct("bind", _Type(right), sqlite.dialect(), usual) is right


def test_one_that_differs_in_value_or_type_is_not() -> None:
    for wrong in (lambda v: None if v is None else str(float(v)), lambda v: None if v is None else Decimal(v)):
        assert _direct("bind", _Type(wrong), sqlite.dialect(), usual) is usual


def test_the_columns_types_have_direct_conversions_on_sqlite_only() -> None:
    lite, pg = sqlite.dialect(), postgresql.asyncpg.dialect()
    for type_ in (AwareDateTime(), ExactDecimal()):
        theirs = type_._cached_bind_processor(lite)
        assert _direct("bind", type_, lite, theirs) is not theirs, type_
        theirs = type_._cached_result_processor(lite, None)
        assert _direct("result", type_, lite, theirs) is not theirs, type_
        theirs = type_._cached_bind_processor(pg)
        assert _direct("bind", type_, pg, theirs) is theirs, type_
        theirs = type_._cached_result_processor(pg, 1700 if isinstance(type_, ExactDecimal) else 1184)
        assert _direct("result", type_, pg, theirs) is theirs, type_
