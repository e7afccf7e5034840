"""One page of a listing, counted and sliced in SQL."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from core.errors import Invalid
from core.text import reject_nul

T = TypeVar('T')
MAX_PAGE_SIZE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def check_paging(page: int, page_size: int) -> tuple[int, int]:
    """Refuse pages below 1; cap the page size at MAX_PAGE_SIZE rather than refuse it."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise Invalid('page', 'must be an integer of at least 1')
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise Invalid('pageSize', 'must be an integer of at least 1')
    return page, min(page_size, MAX_PAGE_SIZE)


def paginate(session: Session, statement: sa.Select, *, page: int, page_size: int) -> Page[Any]:
    """Run `statement` (an sa.select, already filtered and ordered) for one page, with the total from a COUNT."""
    page, page_size = check_paging(page, page_size)
    counted = statement.order_by(None).subquery()
    total = session.exec(sa.select(sa.func.count()).select_from(counted)).scalar_one()
    rows = session.exec(statement.limit(page_size).offset((page - 1) * page_size))
    # one entity selected: its objects; several columns: rows
    items = list(rows.scalars()) if len(statement.column_descriptions) == 1 else [tuple(row) for row in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


def like_pattern(search: str) -> str:
    """A case-insensitive LIKE pattern matching `search` anywhere, with LIKE's wildcards taken literally."""
    reject_nul(search=search)
    escaped = search.lower().replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return f'%{escaped}%'
