"""Field types for Logicbroker documents: tolerant where the platform is, exact where money is."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import SchemaValidator, core_schema

from pohub.core.ids import is_ascii_int
from pohub.core.jsonio import NUL_RULE, SHORT_TEXT

M = TypeVar("M", bound=BaseModel)


def _parse_datetime(value: Any) -> Any:
    """ISO 8601 date or date-time; a value without an offset is UTC (seed dates carry none)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"must be an ISO 8601 date or date-time, got {value!r}") from None
    else:
        raise ValueError("must be an ISO 8601 date or date-time string")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_line_number(value: Any) -> Any:
    if type(value) is str:  # nearly always: stripped once
        text = value.strip()
        if text:
            return text
        raise ValueError("must not be empty")
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()
    raise ValueError("must be a string or an integer")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no field needs it: refused on every backend alike. JSON
    # bodies are refused at parse (core/jsonio.parse_received); this guards models built otherwise.
    if "\x00" in value:
        raise ValueError(NUL_RULE)
    return value


def int_like(value: Any) -> Any:
    """ "2" -> 2 for coded fields; anything else is left for the field's own check."""
    if isinstance(value, str) and is_ascii_int(value.strip()):
        return int(value.strip())
    return value


def _parse_money(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


LBDateTime = Annotated[
    datetime,
    BeforeValidator(_parse_datetime),
    PlainSerializer(lambda v: v.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# The platform's integers are int32: anything larger is refused, not carried to the database.
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
# Every string field is Annotated[str, StringConstraints(max_length=n), NoNul]; the limits are
# decided in scripts/gen_logicbroker_models.py (LIMITS) and read back with string_limit.
NoNul = AfterValidator(_no_nul)
# A line number is text; an integer is taken as its digits. The limit comes first in the generated
# Annotated[str, StringConstraints(...), LineNumberInput, NoNul, LineNumberSchema] so that pydantic
# checks it as a string length.
LineNumberInput = BeforeValidator(_parse_line_number)
LineNumberSchema = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer"}]})
# Money keeps up to MONEY_PLACES decimal places and MONEY_DIGITS digits in all, exactly as sent; more
# is refused with a 422 saying so (never rounded). The columns (db/base.MoneyColumn) hold that and the
# totals computed from it on both backends.
MONEY_DIGITS = 20
MONEY_PLACES = 6
# The limits come before the BeforeValidator so that pydantic-core checks them inside its decimal
# validator (after it, pydantic checks them in Python: a third of a PO's validation); the before
# validator still runs first, and the errors are the same.
Money = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES),
    BeforeValidator(_parse_money),
    WithJsonSchema({"type": "number"}),
]


def line_key(line_number: str) -> str:
    """The identity of a line number: "01", "1" and 1 name the same line."""
    s = line_number.strip()
    if s.isascii() and s.isdigit():  # core.ids.is_ascii_int, spelled out: every line of every document
        return str(int(s))
    return s.casefold()


@functools.cache  # read on every dialect message, for every field it bounds
def string_limit(model: type[BaseModel], alias: str) -> int:
    """The most characters ``model``'s field ``alias`` takes (dialects bound their own fields with it)."""
    for field in model.model_fields.values():
        if field.alias == alias:
            limit = _max_length([*field.metadata, field.annotation])
            if limit is None:
                raise KeyError(f"{model.__name__}.{alias} has no length limit")
            return limit
    raise KeyError(f"{model.__name__} has no field {alias}")


def _max_length(parts: list[Any]) -> int | None:
    for part in parts:
        limit = getattr(part, "max_length", None)
        if isinstance(limit, int):
            return limit
        inner = [*getattr(part, "__metadata__", ()), *get_args(part)]
        if inner and (found := _max_length(inner)) is not None:
            return found
    return None


class LBModel(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        str_max_length=10_000,
        # The wire is the platform's: schemas list every field by its alias.
        serialize_by_alias=True,
    )


# A line number as the wire models spell it (strings or integers in, a string inside).
LineNumber = Annotated[str, StringConstraints(max_length=50), LineNumberInput, NoNul, LineNumberSchema]


def _without_nul_check(schema: Any) -> Any:
    """``schema`` (a pydantic-core schema) with every NoNul validator taken out, the rest as it was."""
    if isinstance(schema, dict):
        if schema.get("type") == "function-after" and schema["function"].get("function") is _no_nul:
            return _without_nul_check(schema["schema"])
        return {k: _without_nul_check(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_without_nul_check(v) for v in schema]
    return schema


@functools.cache
def received_validator(model: type[BaseModel]) -> SchemaValidator:
    """``model``'s validator without the NoNul checks, for bodies ``jsonio.parse_received`` read:
    it refuses a NUL anywhere in the body before the model sees it, so the per-string check can
    never fail there (a Python call per string field, ~3 % of a PO). It builds instances of
    ``model`` itself; every other check, error and message is the model's own. Anything else built
    from data (EDI, forms, dialects' own shapes) validates with ``model.model_validate``."""
    try:
        # pydantic's private parts (pyproject holds pydantic to the release they were read from):
        # should they move, the model's own validator, NoNul checks included, is as right.
        from pydantic._internal._config import ConfigWrapper

        config = ConfigWrapper(model.model_config).core_config(title=model.__name__)
        # Not the prebuilt validators of the nested models (they hold the NoNul checks).
        return SchemaValidator(_without_nul_check(model.__pydantic_core_schema__), config, _use_prebuilt=False)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another pydantic release
        return model.__pydantic_validator__  # type: ignore[return-value]


# The fast road for received bodies (validate_received): a validator that accepts fewer bodies than
# received_validator and builds the same instances from each of them; whatever it refuses, the
# received validator decides, so every refusal is that validator's own, error for error.
#
# Its Money takes a Decimal as it is and an integer of at most SHORT_TEXT - 1 digits, in C (no
# before validator, no normalize() and as_tuple() for the limits): a caller uses it only for a body
# whose every Decimal jsonio.digest_short found short, so within Money's limits (at most
# MONEY_PLACES places, SHORT_TEXT - 1 digits before the point, finite). Anything else a Money field
# holds (a bool, a string, a bigger integer) fails it and goes the received validator's way.
_SHORT_INT = 10 ** (SHORT_TEXT - 1) - 1
_FAST_MONEY = core_schema.union_schema(
    [
        core_schema.decimal_schema(strict=True),
        core_schema.chain_schema(
            [core_schema.int_schema(strict=True, ge=-_SHORT_INT, le=_SHORT_INT), core_schema.decimal_schema()]
        ),
    ]
)
# It looks fields up by alias only (by_name=False: one dict lookup a field, not two). A key that is a
# field's Python name is then left over as an extra, where the received validator would have taken
# it for the field: its extra keys must not look like a Python name (snake_case), so such a body
# fails it and goes the received validator's way.
_PYTHON_NAME = re.compile(r"[a-z][a-z0-9_]*")
_NOT_A_PYTHON_NAME = core_schema.str_schema(strict=True, pattern=r"^$|^[^a-z]|[^a-z0-9_]")


def _fast_schema(schema: Any) -> Any:
    """``schema`` with the fast road's Money and extra keys (above), the rest as it was."""
    if isinstance(schema, dict):
        if schema.get("type") == "function-before" and schema["function"].get("function") is _parse_money:
            return _FAST_MONEY
        out = {k: _fast_schema(v) for k, v in schema.items()}
        if out.get("type") == "model-fields":
            out["extras_keys_schema"] = _NOT_A_PYTHON_NAME
        return out
    if isinstance(schema, list):
        return [_fast_schema(v) for v in schema]
    return schema


def _names_look_like_python(model: type[BaseModel], seen: set[type[BaseModel]]) -> bool:
    """Every Python name of a field of ``model`` and of the models it holds (that is not its
    alias too) is snake_case: a key spelling it is what _NOT_A_PYTHON_NAME refuses."""
    if model in seen:
        return True
    seen.add(model)
    for name, field in model.model_fields.items():
        if (field.alias or name) != name and not _PYTHON_NAME.fullmatch(name):
            return False
        nested = [t for t in _types_in(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        if not all(_names_look_like_python(t, seen) for t in nested):
            return False
    return True


def _types_in(annotation: Any) -> list[Any]:
    return [annotation, *(t for arg in get_args(annotation) for t in _types_in(arg))]


@functools.cache
def fast_received_validator(model: type[BaseModel]) -> SchemaValidator | None:
    """The fast road's validator of ``model`` (see above), None where there is none."""
    if not _names_look_like_python(model, set()):
        return None
    try:
        from pydantic._internal._config import ConfigWrapper  # as received_validator

        config = ConfigWrapper(model.model_config).core_config(title=model.__name__)
        schema = _fast_schema(_without_nul_check(model.__pydantic_core_schema__))
        return SchemaValidator(schema, config, _use_prebuilt=False)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another pydantic release
        return None


def validate_received(model: type[M], data: Any, *, short: bool) -> M:
    """``received_validator(model).validate_python(data)``, the same instance or the same
    ValidationError, through the fast road when it can take the body: ``short`` says every Decimal
    in ``data`` is short (jsonio.digest_short with MONEY_PLACES)."""
    fast = fast_received_validator(model) if short else None
    if fast is not None:
        try:
            return fast.validate_python(data, by_name=False)  # type: ignore[no-any-return]
        except ValidationError:
            pass  # the received validator decides, and says why
    return received_validator(model).validate_python(data)  # type: ignore[no-any-return]
