"""The records a webhook carries in `data`, exactly as the API returns them (camelCase JSON)."""

import dataclasses
import functools
from typing import Any

from pydantic.alias_generators import to_camel as _to_camel
from pydantic_core import to_jsonable_python

from core.executions import ExecutionView


def execution_record(execution: ExecutionView) -> dict[str, Any]:
    """`GET /executions/{id}` of this execution: the same view, serialized by the same rules (pydantic, camelCase)."""
    return camel_record(execution)


def camel_record(view: Any) -> dict[str, Any]:
    """A core view (a dataclass) as JSON-ready values under camelCase names, as the API's response models write it
    (views nested in it too: a rollout's arms and history)."""
    return to_jsonable_python(_camel(view))


@functools.cache
def to_camel(name: str) -> str:
    """pydantic's to_camel, remembered: it runs regular expressions, and a worker calls it for every field of every
    finished execution inside the transaction that holds SQLite's write lock."""
    return _to_camel(name)


def _camel(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {to_camel(field.name): _camel(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_camel(item) for item in value]
    return value  # plain values, and dicts that hold JSON as stored (options, a rollout's candidate)
