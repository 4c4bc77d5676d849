"""Every string field of a wire model, as a path into a document, with its limit; and documents built
by setting values at such paths."""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from pohub.documents.types import string_limit


def _models_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the model inside Optional[...] / list[...], whether it is a list)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        for arg in get_args(annotation):
            found, is_list = _models_in(arg)
            if found is not None:
                return found, is_list
        return None, False
    if origin is list:
        found, _ = _models_in(get_args(annotation)[0])
        return found, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _is_string(model: type[BaseModel], alias: str) -> bool:
    try:
        string_limit(model, alias)
    except KeyError:
        return False
    return True


def string_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, int]]:
    """(path, limit) of every string field reachable from ``model``; lists are reached at [0]."""
    out: list[tuple[str, int]] = []
    for field in model.model_fields.values():
        alias = str(field.alias)
        path = f"{prefix}.{alias}" if prefix else alias
        if _is_string(model, alias):
            out.append((path, string_limit(model, alias)))
            continue
        inner, is_list = _models_in(field.annotation)
        if inner is not None:
            out += string_fields(inner, f"{path}[0]" if is_list else path)
    return out


_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def put(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` (``OrderLines[0].ItemIdentifier.SupplierSKU``), making what is missing."""
    parts = _PART.findall(path)
    here: Any = doc
    for n, (name, index) in enumerate(parts):
        last = n == len(parts) - 1
        if index == "":
            if last:
                here[name] = value
            else:
                here = here.setdefault(name, {})
            continue
        items = here.setdefault(name, [])
        i = int(index)
        while len(items) <= i:
            items.append({})
        if last:
            items[i] = value
        else:
            here = items[i]


def get(doc: Any, path: str) -> Any:
    here = doc
    for name, index in _PART.findall(path):
        here = here[name]
        if index != "":
            here = here[int(index)]
    return here
