"""The deployments table: search, sort and paging done in SQL by core, one page per request from the browser."""

from contextlib import suppress
from dataclasses import dataclass

from nicegui import events, ui

from core import deployments, prompts
from core.app import Core
from core.deployment_health import DeploymentHealth, deployment_health
from core.errors import DomainError, Forbidden
from core.permissions import Actor
from ui import display, feedback
from ui.deployment_health import health_cells
from ui.frame import EmptyState
from ui.session import SignedIn

# table column -> core's orderBy
SORTABLE = {'name': 'name', 'provider': 'provider', 'model': 'model', 'created': 'createdAt', 'updated': 'updatedAt'}
COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'sortable': True, 'align': 'left'},
    {'name': 'prompt', 'label': 'Prompt', 'field': 'prompt', 'align': 'left'},
    {'name': 'provider', 'label': 'Provider', 'field': 'provider', 'sortable': True, 'align': 'left'},
    {'name': 'model', 'label': 'Model', 'field': 'model', 'sortable': True, 'align': 'left'},
    {'name': 'options', 'label': 'Options', 'field': 'options', 'align': 'left'},
    {'name': 'runs', 'label': 'Calls (24 h)', 'field': 'runs', 'align': 'right'},
    {'name': 'failureRate', 'label': 'Failures (24 h)', 'field': 'failureRate', 'align': 'right'},
    {'name': 'p95', 'label': 'p95 (24 h)', 'field': 'p95', 'align': 'right'},
    {'name': 'created', 'label': 'Created', 'field': 'created', 'sortable': True, 'align': 'left'},
    {'name': 'updated', 'label': 'Updated', 'field': 'updated', 'sortable': True, 'align': 'left'},
]
PAGE_SIZES = [10, 20, 50, 100]


@dataclass(frozen=True)
class TableRequest:
    search: str = ''
    sort_by: str = 'name'
    descending: bool = False
    page: int = 1
    rows_per_page: int = 20


def deployment_rows(core: Core, actor: Actor, request: TableRequest) -> tuple[list[dict], int]:
    """One page of rows and the total count: what the table's request handler shows (and bench/ times)."""
    result = deployments.list_deployments(
        core,
        actor,
        search=request.search.strip() or None,
        order_by=SORTABLE.get(request.sort_by, 'name'),
        order='desc' if request.descending else 'asc',
        page=max(request.page, 1),
        page_size=request.rows_per_page,
    )
    names = _prompt_names(core, actor, {d.prompt_id for d in result.items})
    health = deployment_health(core, actor, [d.id for d in result.items])
    rows = [
        {
            'id': d.id,
            'name': d.name,
            'prompt': display.prompt_version(names.get(d.prompt_id, '(prompt not shown)'), d.prompt_version),
            'provider': d.provider,
            'model': d.model,
            'options': display.options_text(d.options),
            'created': display.when(d.created_at),
            'updated': display.when(d.updated_at),
            **health_cells(health.get(d.id, DeploymentHealth())),
        }
        for d in result.items
    ]
    return rows, result.total


class DeploymentsTable:
    """Search box and server-side table; a click on a row opens the deployment. `reload()` fills it."""

    def __init__(self, me: SignedIn) -> None:
        self.me = me
        self.search = ui.input('Search name, provider or model', on_change=self.reload)
        self.search.props('clearable dense outlined debounce=300').classes('w-96')
        pagination = {'sortBy': 'name', 'descending': False, 'page': 1, 'rowsPerPage': 20, 'rowsNumber': 0}
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination=pagination).classes('w-full')
        self.table.props(f':rows-per-page-options="{PAGE_SIZES}" flat bordered hide-no-data')
        self.table.add_slot('body-cell-name', NAME_CELL)
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/deployments/{e.args[1]["name"]}'))
        self.empty = EmptyState()

    async def reload(self) -> None:
        """Page one with the current search, sort and page size."""
        current = self.table.pagination
        await self.load(
            TableRequest(
                self.search.value or '',
                current.get('sortBy') or 'name',
                bool(current.get('descending')),
                1,
                current.get('rowsPerPage') or 20,
            )
        )

    async def load(self, request: TableRequest) -> None:
        try:
            rows, total = await self.me.act(deployment_rows, request)
        except DomainError as error:
            feedback.failure(error)
            return
        self.table.rows = rows
        self.table.pagination = {
            'sortBy': request.sort_by,
            'descending': request.descending,
            'page': request.page,
            'rowsPerPage': request.rows_per_page,
            'rowsNumber': total,
        }
        if total:
            self.empty.show(None)
        elif request.search:
            self.empty.show(f'No deployment matches "{request.search}".')
        else:
            self.empty.show('No deployments yet. Create a prompt under Prompts, then click "New deployment".')

    async def _on_request(self, event: events.GenericEventArguments) -> None:
        page = event.args['pagination']
        request = TableRequest(
            self.search.value or '',
            page.get('sortBy') or 'name',
            bool(page.get('descending')),
            page.get('page') or 1,
            page.get('rowsPerPage') or 20,
        )
        await self.load(request)


NAME_CELL = """
<q-td :props="props">
  <a :href="'/deployments/' + props.row.name" class="text-primary font-medium" @click.stop>{{ props.row.name }}</a>
  <q-badge v-if="props.row.rollout" :color="props.row.rolloutColor" class="q-ml-sm">{{ props.row.rollout }}</q-badge>
</q-td>
"""


def _prompt_names(core: Core, actor: Actor, prompt_ids: set[str]) -> dict[str, str]:
    """The page's prompt names; a role that cannot read prompts sees the rows without them."""
    with suppress(Forbidden):
        return prompts.prompt_names(core, actor, prompt_ids)
    return {}
