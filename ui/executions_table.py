"""A live, server-side paged table of executions: new rows and status changes arrive from the event bus."""

from dataclasses import dataclass, replace

from nicegui import events, ui

from core import executions
from core.errors import DomainError
from core.events import Event
from core.vocabulary import ExecutionStatus
from data.tables import Execution
from ui import display, feedback, live
from ui.frame import EmptyState
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
    """Newest first; follows the bus for as long as the page is open. `load()` fills it."""

    def __init__(self, me: SignedIn, *, filters: ExecutionFilters | None = None, page_size: int = 20) -> None:
        self.me = me
        self.filters = filters or ExecutionFilters()
        pagination = {'page': 1, 'rowsPerPage': page_size, 'rowsNumber': 0}
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination=pagination).classes('w-full')
        self.table.props(':rows-per-page-options="[10, 20, 50, 100]" flat bordered hide-no-data')
        self.table.add_slot('body-cell-status', STATUS_CELL)
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/executions/{e.args[1]["id"]}'))
        self.empty = EmptyState()
        live.follow(
            me.core, self._on_events, kinds=frozenset({'created', 'status'}), idle_seconds=IDLE_POLL_SECONDS, on_idle=self.load
        )

    async def set_filters(self, filters: ExecutionFilters) -> None:
        self.filters = filters
        await self.load(page=1)

    async def load(self, *, page: int | None = None, page_size: int | None = None) -> None:
        pagination = dict(self.table.pagination)
        page = page or pagination.get('page') or 1
        page_size = page_size or pagination.get('rowsPerPage') or 20
        try:
            result = await self.me.act(executions.list_executions, **vars(self.filters), page=page, page_size=page_size)
        except DomainError as error:
            feedback.failure(error)
            return
        self.table.rows = [execution_row(e) for e in result.items]
        self.table.pagination = {**pagination, 'page': page, 'rowsPerPage': page_size, 'rowsNumber': result.total}
        if result.total:
            self.empty.show(None)
        elif any(vars(self.filters).values()):
            self.empty.show('No execution matches these filters.')
        else:
            self.empty.show('No executions yet. Run a deployment from its "Try it" panel or through the API.')

    async def _on_events(self, batch: list[Event]) -> None:
        if self.filters.deployment and all(e.data.get('deploymentName') not in (None, self.filters.deployment) for e in batch):
            return  # only executions of other deployments changed
        await self.load()

    async def _on_request(self, event: events.GenericEventArguments) -> None:
        pagination = event.args['pagination']
        await self.load(page=pagination.get('page') or 1, page_size=pagination.get('rowsPerPage') or 20)


def execution_row(execution: Execution) -> dict:
    tokens = '—' if execution.input_tokens is None else f'{execution.input_tokens} / {execution.output_tokens}'
    return {
        'id': execution.id,
        'status': execution.status,
        'statusColor': STATUS_COLORS.get(execution.status, 'grey'),
        'deployment': execution.deployment_name or '(playground)',
        'model': f'{execution.provider} · {execution.model}',
        'origin': execution.origin,
        'traceId': execution.trace_id or '',
        'tokens': tokens,
        'duration': display.duration(execution.duration_ms),
        'created': display.when(execution.created_at),
    }


def with_filters(filters: ExecutionFilters, **changes: str | None) -> ExecutionFilters:
    """The filters with some changed; blank text means "any"."""
    return replace(filters, **{key: (value or '').strip() or None for key, value in changes.items()})
