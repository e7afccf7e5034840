"""Text we store: no NUL characters, which PostgreSQL's text cannot hold and SQLite would keep, so both refuse alike."""

from typing import Any

from core.errors import Invalid

NUL = '\x00'


def reject_nul(**fields: Any) -> None:
    """Invalid naming the first field (dotted into objects and lists) whose text, or a key in it, holds a NUL."""
    for field, value in fields.items():
        where = _nul_at(value, field)
        if where is not None:
            raise Invalid(where, 'must not contain NUL characters (\\u0000)')


def has_nul(value: Any) -> bool:
    return _nul_at(value, '') is not None


def _nul_at(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f'{where}.{key}' if where else str(key)
            if isinstance(key, str) and NUL in key:
                return where or inner
            found = _nul_at(item, inner)
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_at(item, f'{where}[{index}]')
            if found is not None:
                return found
    return None
