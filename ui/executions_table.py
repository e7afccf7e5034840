"""A live, server-side paged table of executions: new rows and status changes arrive as core.follow reports them."""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from nicegui import events, ui

from core import execution_listing
from core.errors import DomainError
from core.executions import ExecutionView
from core.follow import ExecutionChange, watch_executions
from core.vocabulary import ExecutionStatus
from ui import display, feedback, live
from ui.frame import EmptyState
from ui.local_time import iso, time_columns
from ui.paged_table import paged_table
from ui.responsive import phone_columns
from ui.session import SignedIn

STATUS_COLORS = {
    ExecutionStatus.PENDING: 'grey',
    ExecutionStatus.RUNNING: 'blue',
    ExecutionStatus.COMPLETED: 'positive',
    ExecutionStatus.FAILED: 'negative',
    ExecutionStatus.CANCELLED: 'warning',
}
COLUMNS = [
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'deployment', 'label': 'Deployment', 'field': 'deployment', 'align': 'left'},
    {'name': 'model', 'label': 'Model', 'field': 'model', 'align': 'left'},
    {'name': 'origin', 'label': 'Origin', 'field': 'origin', 'align': 'left'},
    {'name': 'traceId', 'label': 'Trace id', 'field': 'traceId', 'align': 'left'},
    {'name': 'tokens', 'label': 'Tokens in / out', 'field': 'tokens', 'align': 'right'},
    {'name': 'duration', 'label': 'Duration', 'field': 'duration', 'align': 'right'},
    {'name': 'created', 'label': 'Created', 'field': 'created', 'align': 'left', 'sortable': True},
]
COLUMNS = phone_columns(COLUMNS, keep=('status', 'deployment'))  # the rest on the execution's page
# filter -> its URL parameter
URL_FILTERS = {
    'deployment': 'deployment',
    'status': 'status',
    'trace_id': 'traceId',
    'origin': 'origin',
    'search': 'search',
    'date_from': 'from',
    'date_to': 'to',
}
STATUS_CELL = """
<q-td :props="props">
  <q-badge :color="props.row.statusColor" :label="props.row.status" />
</q-td>
"""
IDLE_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class ExecutionFilters:
    """The table's filters as the page holds them: text (blank is "any"), and whole days (UTC), `date_to` included."""

    deployment: str | None = None
    status: str | None = None
    trace_id: str | None = None
    origin: str | None = None
    search: str | None = None
    date_from: str | None = None  # YYYY-MM-DD
    date_to: str | None = None

    def for_core(self) -> dict:
        """core's filters: the days as the moments that bound them."""
        days = {'created_from': _day(self.date_from, 0), 'created_to': _day(self.date_to, 1)}
        return {name: value for name, value in vars(self).items() if not name.startswith('date_')} | days


@dataclass(frozen=True)
class TableState:
    """Filters, order and page: what the executions page keeps in its URL, so a reload or a shared link shows the same."""

    filters: ExecutionFilters = ExecutionFilters()
    order: str = 'desc'
    page: int = 1
    page_size: int = 20

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> 'TableState':
        """The state a URL's parameters describe; a value that makes no sense is left at its default."""
        texts = {name: query.get(parameter, '') for name, parameter in URL_FILTERS.items()}
        filters = with_filters(ExecutionFilters(), **texts)
        return cls(
            filters,
            'asc' if query.get('order') == 'asc' else 'desc',
            _number(query.get('page'), 1, 1_000_000) or 1,
            _number(query.get('pageSize'), 1, 100) or 20,
        )

    def query(self) -> str:
        """The URL's query string: only what differs from the defaults."""
        values = {parameter: getattr(self.filters, name) for name, parameter in URL_FILTERS.items()}
        values |= {'order': self.order if self.order != 'desc' else None, 'page': self.page if self.page != 1 else None}
        values['pageSize'] = self.page_size if self.page_size != 20 else None
        return urlencode({key: value for key, value in values.items() if value})


class ExecutionsTable:
    """Newest first (or oldest); follows the executions for as long as the page is open. With `url`, the page's
    address follows the table's state (TableState.query) as it changes."""

    def __init__(
        self, me: SignedIn, *, filters: ExecutionFilters | None = None, page_size: int = 20, state: TableState | None = None,
        url: str | None = None,
    ) -> None:  # fmt: skip
        self.me, self.url = me, url
        state = state or TableState(filters or ExecutionFilters(), page_size=page_size)
        self.filters, self.order = state.filters, state.order
        self._loads = itertools.count(1)  # a load's answer is shown only if no later load was asked for meanwhile
        self._latest = 0
        pagination = {'page': state.page, 'rowsPerPage': state.page_size, 'sortBy': 'created'}
        pagination['descending'] = state.order == 'desc'
        self.table = paged_table(columns=COLUMNS, row_key='id', pagination=pagination).classes('w-full')
        # hide-no-data: our own empty note says what to do instead of "No data available"
        self.table.props(':rows-per-page-options="[10, 20, 50, 100]" flat bordered hide-no-data')
        self.table.add_slot('body-cell-status', STATUS_CELL)
        time_columns(self.table, 'created')
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/executions/{e.args[1]["id"]}'))
        self.empty = EmptyState()
        live.while_open(self._follow(), name='executions table')

    async def set_filters(self, filters: ExecutionFilters) -> None:
        self.filters = filters
        await self.load(page=1)

    @property
    def state(self) -> TableState:
        pagination = self.table.pagination
        return TableState(self.filters, self.order, pagination.get('page') or 1, pagination.get('rowsPerPage') or 20)

    async def load(self, *, page: int | None = None, page_size: int | None = None) -> None:
        """Read the page (off the event loop, as the person is now) and show it."""
        number = self._latest = next(self._loads)
        pagination = dict(self.table.pagination)
        page = page or pagination.get('page') or 1
        page_size = page_size or pagination.get('rowsPerPage') or 20
        try:
            result = await self.me.act(
                execution_listing.list_executions, **self.filters.for_core(), order=self.order, page=page, page_size=page_size
            )
        except DomainError as error:
            feedback.failure(error)
            return
        if number != self._latest:
            return  # a later load will show its own answer
        self.table.rows = [execution_row(e) for e in result.items]
        sort = {'sortBy': 'created', 'descending': self.order == 'desc'}
        self.table.pagination = {**pagination, **sort, 'page': page, 'rowsPerPage': page_size, 'rowsNumber': result.total}
        if self.url is not None:
            query = self.state.query()
            ui.navigate.history.replace(f'{self.url}?{query}' if query else self.url)
        if result.total:
            self.empty.show(None)
        elif any(value for name, value in vars(self.filters).items() if name != 'deployment'):
            self.empty.show('No execution matches these filters.')
        elif self.filters.deployment:
            self.empty.show(f'No executions of {self.filters.deployment} yet. Run it from "Try it" or through the API.')
        else:
            self.empty.show('No executions yet. Run a deployment from its "Try it" panel or through the API.')

    async def _follow(self) -> None:
        async for burst in watch_executions(self.me.core, idle_seconds=IDLE_POLL_SECONDS):
            if self._concerns(burst):
                await self.load()

    def _concerns(self, burst: list[ExecutionChange]) -> bool:
        """Whether the rows may have changed: an empty burst (the first one, or a quiet spell) always may."""
        if not burst or not self.filters.deployment:
            return True
        return any(change.deployment_name in (None, self.filters.deployment) for change in burst)

    async def _on_request(self, event: events.GenericEventArguments) -> None:
        pagination = event.args['pagination']
        self.order = 'asc' if pagination.get('sortBy') == 'created' and not pagination.get('descending') else 'desc'
        await self.load(page=pagination.get('page') or 1, page_size=pagination.get('rowsPerPage') or 20)


def execution_row(execution: ExecutionView) -> dict:
    tokens = '—' if execution.input_tokens is None else f'{execution.input_tokens} / {execution.output_tokens}'
    return {
        'id': execution.id,
        'status': execution.status,
        'statusColor': STATUS_COLORS.get(execution.status, 'grey'),
        'deployment': execution.deployment_name or '(playground)',
        'model': f'{display.provider_name(execution.provider)} · {execution.model}',
        'origin': execution.origin,
        'traceId': execution.trace_id or '',
        'tokens': tokens,
        'duration': display.duration(execution.duration_ms),
        'created': iso(execution.created_at),
    }


def with_filters(filters: ExecutionFilters, **changes: str | None) -> ExecutionFilters:
    """The filters with some changed; blank text means "any", and a day that is no YYYY-MM-DD date too."""
    cleaned = {key: (value or '').strip() or None for key, value in changes.items()}
    for key in ('date_from', 'date_to'):
        if cleaned.get(key) and _day(cleaned[key], 0) is None:
            cleaned[key] = None
    return replace(filters, **cleaned)


def _day(text: str | None, days_after: int) -> datetime | None:
    """The start of the UTC day `text` names, `days_after` days on; None for no date."""
    try:
        return datetime.combine(date.fromisoformat(text or ''), time(), UTC) + timedelta(days=days_after)
    except (ValueError, OverflowError):
        return None


def _number(text: str | None, lowest: int, highest: int) -> int | None:
    try:
        number = int(text or '')
    except ValueError:
        return None
    return number if lowest <= number <= highest else None
