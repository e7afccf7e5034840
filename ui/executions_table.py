"""A live, server-side paged table of executions: new rows and status changes arrive as core.follow reports them."""

import itertools
from dataclasses import dataclass, replace

from nicegui import events, ui

from core import executions
from core.errors import DomainError
from core.executions import ExecutionView
from core.follow import ExecutionChange, watch_executions
from core.vocabulary import ExecutionStatus
from ui import display, feedback, live
from ui.frame import EmptyState
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
    {'name': 'created', 'label': 'Created', 'field': 'created', 'align': 'left'},
]
COLUMNS = phone_columns(COLUMNS, keep=('status', 'deployment'))  # the rest on the execution's page
STATUS_CELL = """
<q-td :props="props">
  <q-badge :color="props.row.statusColor" :label="props.row.status" />
</q-td>
"""
IDLE_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class ExecutionFilters:
    deployment: str | None = None
    status: str | None = None
    trace_id: str | None = None
    origin: str | None = None


class ExecutionsTable:
    """Newest first; follows the executions for as long as the page is open."""

    def __init__(self, me: SignedIn, *, filters: ExecutionFilters | None = None, page_size: int = 20) -> None:
        self.me = me
        self.filters = filters or ExecutionFilters()
        self._loads = itertools.count(1)  # a load's answer is shown only if no later load was asked for meanwhile
        self._latest = 0
        pagination = {'page': 1, 'rowsPerPage': page_size, 'rowsNumber': 0}
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination=pagination).classes('w-full')
        self.table.props('hide-no-data')  # our own empty note says what to do instead of "No data available"
        self.table.props(':rows-per-page-options="[10, 20, 50, 100]" flat bordered hide-no-data')
        self.table.add_slot('body-cell-status', STATUS_CELL)
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/executions/{e.args[1]["id"]}'))
        self.empty = EmptyState()
        live.while_open(self._follow(), name='executions table')

    async def set_filters(self, filters: ExecutionFilters) -> None:
        self.filters = filters
        await self.load(page=1)

    async def load(self, *, page: int | None = None, page_size: int | None = None) -> None:
        """Read the page (off the event loop, as the person is now) and show it."""
        number = self._latest = next(self._loads)
        pagination = dict(self.table.pagination)
        page = page or pagination.get('page') or 1
        page_size = page_size or pagination.get('rowsPerPage') or 20
        try:
            result = await self.me.act(executions.list_executions, **vars(self.filters), page=page, page_size=page_size)
        except DomainError as error:
            feedback.failure(error)
            return
        if number != self._latest:
            return  # a later load will show its own answer
        self.table.rows = [execution_row(e) for e in result.items]
        self.table.pagination = {**pagination, 'page': page, 'rowsPerPage': page_size, 'rowsNumber': result.total}
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
        'created': display.when(execution.created_at),
    }


def with_filters(filters: ExecutionFilters, **changes: str | None) -> ExecutionFilters:
    """The filters with some changed; blank text means "any"."""
    return replace(filters, **{key: (value or '').strip() or None for key, value in changes.items()})
