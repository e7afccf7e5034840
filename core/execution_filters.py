"""Which executions a listing or an export shows: the filters, checked, and the SQL they add (full-text search too)."""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from core.errors import Invalid
from core.refs import looks_like_uuid
from core.run_request import check_choice
from core.text import reject_nul
from data.tables import Execution, ExecutionStatus, Origin

EXECUTION = Execution.__table__
MAX_SEARCH = 200
MAX_SEARCH_WORDS = 10
# the search indexes (migrations 0009, 0012) cover the first SEARCHED_CHARS characters of the input, of the
# variables' JSON and of the result
SEARCHED_CHARS = 50_000
WORD = re.compile(r'[^\W_]+')  # letters and digits: how both indexes split text into words
ORDERS = ('asc', 'desc')
# PostgreSQL uses its GIN index only for this exact expression (migration 0012 indexes the same one)
_POSTGRES_MATCH = sa.text(
    "to_tsvector('simple'::regconfig, left(coalesce(execution.user_input, ''), 50000) || ' ' || "
    "left(coalesce(execution.variables::text, ''), 50000) || ' ' || left(coalesce(execution.result, ''), 50000)) "
    "@@ to_tsquery('simple'::regconfig, :search_query)"
)
_SQLITE_MATCH = sa.text('execution.id IN (SELECT execution_id FROM execution_search WHERE execution_search MATCH :search_query)')


@dataclass(frozen=True)
class ExecutionFilters:
    """All optional; `search` matches words in the input, variables or result (each word as a prefix); the dates are UTC,
    `created_from` inclusive, `created_to` exclusive."""

    deployment: str | None = None
    status: str | None = None
    trace_id: str | None = None
    origin: str | None = None
    search: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def checked(self) -> 'ExecutionFilters':
        """The same filters, or Invalid naming the first bad one (camelCase, as callers spell them)."""
        reject_nul(deployment=self.deployment, traceId=self.trace_id, search=self.search)
        if self.status is not None:
            check_choice('status', self.status, ExecutionStatus)
        if self.origin is not None:
            check_choice('origin', self.origin, Origin)
        if self.search is not None:
            search_words(self.search)
        created_from, created_to = _utc('from', self.created_from), _utc('to', self.created_to)
        if created_from and created_to and created_from >= created_to:
            raise Invalid('to', 'must be later than from')
        return replace(self, created_from=created_from, created_to=created_to)

    def apply(self, statement: sa.Select, dialect: str) -> sa.Select:
        """`statement` (a select over the execution table) narrowed by these filters; call checked() first."""
        column = EXECUTION.c
        if self.deployment:
            by = column.deployment_id if looks_like_uuid(self.deployment) else column.deployment_name
            statement = statement.where(by == self.deployment)
        for name in ('status', 'trace_id', 'origin'):
            if getattr(self, name):
                statement = statement.where(column[name] == getattr(self, name))
        if self.created_from:
            statement = statement.where(column.created_at >= self.created_from)
        if self.created_to:
            statement = statement.where(column.created_at < self.created_to)
        if self.search:
            statement = statement.where(_search_clause(search_words(self.search), dialect))
        return statement

    @property
    def any(self) -> bool:
        return any(value not in (None, '') for value in vars(self).values())


def search_words(search: Any) -> list[str]:
    """The words searched for, lowercased; Invalid when there are none or too many."""
    if not isinstance(search, str):
        raise Invalid('search', 'must be text')
    if len(search) > MAX_SEARCH:
        raise Invalid('search', f'must be at most {MAX_SEARCH} characters')
    words = [word.lower() for word in WORD.findall(search)]
    if not words:
        raise Invalid('search', 'needs at least one letter or digit')
    if len(words) > MAX_SEARCH_WORDS:
        raise Invalid('search', f'may hold at most {MAX_SEARCH_WORDS} words')
    return words


def _search_clause(words: list[str], dialect: str) -> sa.TextClause:
    """Every word, as the start of a word, in the input or the result; the words hold only letters and digits."""
    if dialect == 'postgresql':
        return _POSTGRES_MATCH.bindparams(search_query=' & '.join(f'{word}:*' for word in words))
    return _SQLITE_MATCH.bindparams(search_query=' AND '.join(f'"{word}"*' for word in words))


def _utc(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise Invalid(field, 'must be a date and time')
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # the first or last moment Python knows, moved by a zone offset past the edge
        raise Invalid(field, 'is out of range') from None
