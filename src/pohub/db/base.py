"""The one MetaData every table belongs to, with names for constraints that migrations can rely on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

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
        from datetime import UTC, datetime

        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to an aware column")
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: object, dialect: object) -> object:
        from datetime import UTC, datetime

        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
