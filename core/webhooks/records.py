"""The records a webhook carries in `data`, exactly as the API returns them (camelCase JSON)."""

from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic.alias_generators import to_camel

from core.executions import ExecutionView


def execution_record(execution: ExecutionView) -> dict[str, Any]:
    """`GET /executions/{id}` of this execution: the same view, serialized by the same rules (pydantic, camelCase)."""
    return camel_record(execution)


def camel_record(view: Any) -> dict[str, Any]:
    """A core view (a dataclass) as JSON-ready values under camelCase names, as the API's response models write it."""
    values = _adapter(type(view)).dump_python(view, mode='json')
    return {to_camel(name): value for name, value in values.items()}


@cache
def _adapter(view_type: type) -> TypeAdapter:
    return TypeAdapter(view_type)
