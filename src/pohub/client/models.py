"""The documents as the client reads them from a hub: the hub's wire models with the published
definitions' own limits instead of pohub's stricter ones.

pohub's hub refuses money with more than 20 digits or 6 decimals (its columns); the definitions only
say ``number`` (a double). A client must read whatever a hub may answer within the definitions, so
here every such field takes any finite JSON number, kept exactly as the ``Decimal`` it was written
as, and strings have no length limit of pohub's. Each model is a subclass of the hub's, so code
typed against ``SalesOrder`` reads these unchanged.
"""

from __future__ import annotations

import copy
import types
import typing
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, TypeVar

from annotated_types import MaxLen
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema, create_model
from pydantic.fields import FieldInfo

from pohub.documents.logicbroker import Acknowledgement, Invoice, SalesOrder, Shipment
from pohub.documents.types import LBModel, Money

M = TypeVar("M", bound=BaseModel)


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    return value


# Any finite number: the definitions' ``number`` (format double), without pohub's column limits.
Number = Annotated[Decimal, BeforeValidator(_number), WithJsonSchema({"type": "number"})]


class _Unbounded(BaseModel):
    model_config = ConfigDict(**{**LBModel.model_config, "str_max_length": None})


def _swap(tp: Any) -> Any:
    if tp == Money:
        return Number
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        # pohub's length limits (StringConstraints, MaxLen) are the hub's columns, not the definitions'.
        kept = tuple(m for m in tp.__metadata__ if not isinstance(m, StringConstraints | MaxLen))
        return Annotated[(_swap(args[0]), *kept)] if kept else _swap(args[0])
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_swap(a) for a in args)]  # noqa: UP007
    if origin is list:
        return list[_swap(args[0])]  # type: ignore[misc]
    if isinstance(tp, type) and issubclass(tp, LBModel):
        return lenient(tp)
    return tp


def _field(info: FieldInfo) -> FieldInfo:
    out = copy.copy(info)
    out.metadata = [m for m in info.metadata if not isinstance(m, MaxLen | StringConstraints)]
    return out


@cache
def lenient(model: type[M]) -> type[M]:
    """``model`` as a client reads it (see the module's docstring)."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = _swap(info.annotation)
        if annotation != info.annotation or any(isinstance(m, MaxLen | StringConstraints) for m in info.metadata):
            fields[name] = (annotation, _field(info))
    made = create_model(
        model.__name__, __base__=(model, _Unbounded), __module__=__name__, __doc__=model.__doc__, **fields
    )
    return typing.cast(type[M], made)


SalesOrderIn = lenient(SalesOrder)
AcknowledgementIn = lenient(Acknowledgement)
ShipmentIn = lenient(Shipment)
InvoiceIn = lenient(Invoice)
