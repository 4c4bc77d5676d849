"""The one MetaData every table belongs to, with names for constraints that migrations can rely on."""

from __future__ import annotations

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Numeric
from sqlalchemy.types import TypeDecorator

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
MoneyColumn = Numeric(18, 4, asdecimal=True)


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
