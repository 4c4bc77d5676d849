"""The one MetaData every table belongs to, with names for constraints that migrations can rely on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from pohub.core import jsonio

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Money columns keep every digit a document may carry (documents/types.Money: 6 decimal places,
# 20 digits) and the totals computed from it (price x quantity summed over lines: 32 integer digits).
MONEY_PRECISION = 38
MONEY_SCALE = 6


class ExactDecimal(TypeDecorator[Decimal]):
    """Decimal in, the same Decimal out, on both backends: NUMERIC(38, 6) on PostgreSQL; on SQLite,
    text, because its NUMERIC affinity stores a REAL and keeps only 15 significant digits.
    Read back without trailing zeros, so both backends give the same value (31.020000 -> 31.02)."""

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(MONEY_PRECISION + 2))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        return format(exact, "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return plain(Decimal(str(value)))

    # db/fast: the same conversions without the TypeDecorator's layers, on SQLite (text); anything
    # but the usual type goes the usual way (``usual``: SQLAlchemy's processor for this column).
    # db/fast uses them only where they give what ``usual`` gives for the samples.
    bind_samples = (Decimal("31.02"), Decimal("31.020000"), Decimal("-0.5"), Decimal("1E+2"), Decimal(0), None)
    result_samples = ("31.020000", "100.000000", "-0.500000", "12345678901234.123456", "0", None)

    def direct_bind(self, dialect: Dialect, usual: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return None
        text = jsonio.plain  # format(value, "f"), for less

        def bind(value: Any) -> Any:
            if value is None:
                return None  # what ``usual`` gives (a sample), without its layers: most lines' ack_price
            return text(value) if type(value) is Decimal else usual(value)

        return bind

    def direct_result(self, dialect: Dialect, usual: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return None

        def result(value: Any) -> Any:
            if value is None:
                return None  # what ``usual`` gives (a sample), without its layers: most lines' ack_price
            return plain(Decimal(value)) if type(value) is str else usual(value)

        return result


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros and without an exponent (100.000000 -> 100, not 1E+2)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


MoneyColumn = ExactDecimal()


class AwareDateTime(TypeDecorator[object]):
    """Timezone-aware on the way in and out, on SQLite too (which stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> object:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to an aware column")
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: object, dialect: object) -> object:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    # db/fast (as ExactDecimal's): SQLite stores the UTC time as SQLAlchemy's DATETIME writes it
    # ("2026-03-04 03:06:07.123456") and reads it back with datetime.fromisoformat.
    bind_samples = (
        datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC),
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        None,
    )
    result_samples = ("2026-03-04 05:06:07.123456", "2026-03-04 05:06:07", "0001-01-01 00:00:00.000001", None)

    def direct_bind(self, dialect: Dialect, usual: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return None

        last = _LAST_BOUND

        def bind(value: Any) -> Any:
            if value is None:
                return None  # what ``usual`` gives (a sample), without its layers
            kept = last[0]
            if kept[0] is value:
                return kept[1]  # the same time again (see _LAST_BOUND)
            if type(value) is not datetime or value.tzinfo is not UTC:
                return usual(value)  # other zones, naive times (refused), dates
            text = _SQLITE_DATETIME % (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
            )
            last[0] = (value, text)
            return text

        return bind

    def direct_result(self, dialect: Dialect, usual: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return None
        parse = datetime.fromisoformat

        def result(value: Any) -> Any:
            if type(value) is not str:
                return None if value is None else usual(value)  # None: what ``usual`` gives (a sample)
            found = parse(value)
            return found.replace(tzinfo=UTC) if found.tzinfo is None else found

        return result


_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # sqlalchemy.dialects.sqlite.DATETIME's storage format
# The last UTC time written and its text, shared by every AwareDateTime column on SQLite: a unit of
# work binds the same ``now`` object several times in a row (an exchange's created_at and
# updated_at, each delivery's three times, an order's status time and its events'), and the
# formatting costs ~11 k instructions a time (a score a document). A pure function of an immutable
# value, kept by identity: the reference held here keeps the object alive, so no other object can
# come to have its id; one (value, text) tuple swapped whole, so a reader never sees a mixed pair.
_LAST_BOUND: list[tuple[Any, str]] = [(object(), "")]
