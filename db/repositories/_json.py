"""JSON columns and datetime helpers shared by the repositories."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (tuple, frozenset, set)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in an event")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
    return obj


def dumps(data: Mapping[str, Any] | Iterable[Any]) -> str:
    """Deterministic JSON (sorted keys) that keeps aware datetimes and dates exact."""
    if isinstance(data, Mapping):
        data = dict(data)
    elif not isinstance(data, list):
        data = list(data)
    return json.dumps(data, default=_default, sort_keys=True, ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_hook)
