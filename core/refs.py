"""References to records: `{ref}` in a URL is either an id (a UUID) or a name, never both."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from core.errors import NotFound
from core.text import has_nul


def looks_like_uuid(text: str) -> bool:
    """True for anything uuid.UUID accepts (with or without dashes, braces or a urn: prefix)."""
    try:
        uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def find_by_ref(session: Session, table: type[SQLModel], ref: str, noun: str) -> Any:
    """The row of `table` whose id or name is `ref`; NotFound naming the `noun` otherwise."""
    if has_nul(ref):  # nothing stored holds one (core.text), and PostgreSQL would refuse to compare it
        raise NotFound(f'no {noun} {ref!r}')
    column = table.id if looks_like_uuid(ref) else table.name
    row = session.exec(sa.select(table).where(column == ref)).scalar_one_or_none()
    if row is None:
        raise NotFound(f'no {noun} {ref!r}')
    return row
