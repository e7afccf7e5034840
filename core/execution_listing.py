"""Executions in bulk: a page of a listing (excerpts only, DESIGN §5) and an export of every match in batches."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.app import Core
from core.errors import Invalid
from core.execution_filters import ORDERS, ExecutionFilters
from core.executions import ExecutionView, execution_view
from core.pagination import Page, check_paging
from core.permissions import Actor
from data.tables import Execution

EXECUTION = Execution.__table__
EXCERPT_CHARS = 200
ELLIPSIS = '…'
EXPORT_BATCH = 200  # rows read per statement while exporting: memory stays flat, each statement short
# a listing reads the big columns only as far as an excerpt needs (one more character tells that it was cut)
_BIG = ('user_input', 'result', 'variables', 'messages', 'response_schema')
_LISTED = [column for column in EXECUTION.c if column.name not in _BIG]
_EXCERPTS = [
    sa.func.substr(EXECUTION.c.user_input, 1, EXCERPT_CHARS + 1).label('user_input'),
    sa.func.substr(EXECUTION.c.result, 1, EXCERPT_CHARS + 1).label('result'),
    # JSON cut short is no JSON: the variables come whole when short, else not at all (the record has them)
    sa.func.substr(sa.cast(EXECUTION.c.variables, sa.Text), 1, EXCERPT_CHARS + 1).label('variables'),
]
_EXPORTED = [column for column in EXECUTION.c if column.name not in ('messages', 'response_schema')]


def list_executions(
    core: Core,
    actor: Actor,
    *,
    page: int = 1,
    page_size: int = 20,
    order: str = 'desc',
    **filters: Any,
) -> Page[ExecutionView]:
    """One page, newest first (or oldest, with order='asc'); `filters` are ExecutionFilters' fields.

    Input and result are excerpts of EXCERPT_CHARS characters (ending in '…' when cut), variables come whole when
    their JSON is that short (else None), and messages are left out: a listing of large runs stays small.
    get_execution has them whole.
    """
    actor.require('executions:read')
    page, page_size = check_paging(page, page_size)
    checked, direction = _checked(filters, order)
    dialect = core.db.dialect.name
    rows = checked.apply(sa.select(*_LISTED, *_EXCERPTS), dialect).order_by(*_ordering(direction))
    count = checked.apply(sa.select(sa.func.count()).select_from(EXECUTION), dialect)
    with core.db.connect() as connection:
        total = connection.execute(count).scalar_one()
        found = connection.execute(rows.limit(page_size).offset((page - 1) * page_size)).mappings().all()
    return Page([_excerpt(row) for row in found], total, page, page_size)


def export_batches(core: Core, actor: Actor, *, order: str = 'desc', **filters: Any) -> Iterator[list[ExecutionView]]:
    """Every matching execution, whole (messages aside), in batches of EXPORT_BATCH, each read by its own statement.

    Batches follow (created_at, id) from where the last one ended, so no cursor or transaction stays open between
    them; a run queued meanwhile appears only if it sorts after the rows already sent.
    """
    actor.require('executions:read')
    checked, direction = _checked(filters, order)
    statement = checked.apply(sa.select(*_EXPORTED), core.db.dialect.name).order_by(*_ordering(direction))
    after: tuple[datetime, str] | None = None
    while True:
        batch = statement if after is None else statement.where(_beyond(after, direction))
        with core.db.connect() as connection:
            rows = connection.execute(batch.limit(EXPORT_BATCH)).mappings().all()
        if not rows:
            return
        yield [execution_view(dict(row) | {'messages': []}) for row in rows]
        after = (rows[-1]['created_at'], rows[-1]['id'])


def _checked(filters: dict[str, Any], order: str) -> tuple[ExecutionFilters, str]:
    if order not in ORDERS:
        raise Invalid('order', 'must be asc or desc')
    try:
        return ExecutionFilters(**filters).checked(), order
    except TypeError:  # a caller's typo in a filter's name is a bug, not a person's mistake
        raise ValueError(f'unknown execution filter in {sorted(filters)}') from None


def _ordering(direction: str) -> tuple[sa.ColumnElement, ...]:
    by = sa.asc if direction == 'asc' else sa.desc
    return by(EXECUTION.c.created_at), by(EXECUTION.c.id)  # id breaks ties: paging never repeats or skips a row


def _beyond(after: tuple[datetime, str], direction: str) -> sa.ColumnElement[bool]:
    position = sa.tuple_(EXECUTION.c.created_at, EXECUTION.c.id)
    return position > after if direction == 'asc' else position < after


def _excerpt(row: Any) -> ExecutionView:
    values = dict(row) | {'messages': []}
    variables = values['variables']
    values['variables'] = json.loads(variables) if variables and len(variables) <= EXCERPT_CHARS else None
    for name in ('user_input', 'result'):
        text = values[name]
        if text is not None and len(text) > EXCERPT_CHARS:
            values[name] = text[:EXCERPT_CHARS] + ELLIPSIS
    return execution_view(values)
