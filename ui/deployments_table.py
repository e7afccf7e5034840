"""The deployments table: search, sort and paging done in SQL by core, one page per request from the browser."""

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlencode

from nicegui import events, ui

from core import deployment_batches, deployments, prompts
from core.app import Core
from core.deployment_health import DeploymentHealth, deployment_health
from core.errors import DomainError, Forbidden
from core.permissions import Actor
from ui import display, feedback
from ui.deployment_batch import DeploymentBatch
from ui.deployment_health import health_cells
from ui.frame import EmptyState
from ui.local_time import iso, time_columns
from ui.paged_table import paged_table
from ui.responsive import phone_columns
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
COLUMNS = phone_columns(COLUMNS, keep=('name', 'model'))  # the rest on the deployment's page
PAGE_SIZES = [10, 20, 50, 100]


@dataclass(frozen=True)
class TableRequest:
    search: str = ''
    sort_by: str = 'name'
    descending: bool = False
    page: int = 1
    rows_per_page: int = 20

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> 'TableRequest':
        """The request a page URL's parameters describe (see `query`); a value that makes no sense stays at its default."""
        sort_by = query.get('sort', 'name')
        page, page_size = query.get('page', ''), query.get('pageSize', '')
        return cls(
            search=query.get('search', '')[:200],
            sort_by=sort_by if sort_by in SORTABLE else 'name',
            descending=query.get('order') == 'desc',
            page=int(page) if page.isdigit() and 0 < int(page) <= 1_000_000 else 1,
            rows_per_page=int(page_size) if page_size.isdigit() and int(page_size) in PAGE_SIZES else 20,
        )

    def query(self) -> str:
        """The page URL's query string: only what differs from the defaults."""
        values = {
            'search': self.search,
            'sort': self.sort_by if self.sort_by != 'name' else '',
            'order': 'desc' if self.descending else '',
            'page': self.page if self.page != 1 else '',
            'pageSize': self.rows_per_page if self.rows_per_page != 20 else '',
        }
        return urlencode({key: value for key, value in values.items() if value})


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
            'provider': display.provider_name(d.provider),
            'model': d.model,
            'options': display.options_text(d.options),
            'created': iso(d.created_at),
            'updated': iso(d.updated_at),
            **health_cells(health.get(d.id, DeploymentHealth())),
        }
        for d in result.items
    ]
    return rows, result.total


class DeploymentsTable:
    """Search box and server-side table; a click on a row opens the deployment. `load(start)` fills it.

    With `url`, the page's address follows the table's search, sort and page (TableRequest.query). People who may
    change deployments can select rows (or every row the search matches) for bulk changes and deletes.
    """

    def __init__(self, me: SignedIn, *, start: TableRequest | None = None, url: str | None = None) -> None:
        self.me, self.url = me, url
        start = start or TableRequest()
        self.all_matching = False  # "select all N matching": the batch is every row the search matches, on any page
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            self.search = ui.input('Search name, provider or model', value=start.search, on_change=self.reload)
            self.search.props('clearable dense outlined debounce=300').classes('w-full sm:w-96')
            self.batch_bar = ui.row().classes('items-center gap-2')
        pagination = {'sortBy': start.sort_by, 'descending': start.descending, 'page': start.page}
        pagination['rowsPerPage'] = start.rows_per_page
        selection = 'multiple' if me.may('deployments:write') else None
        self.table = paged_table(
            columns=COLUMNS, row_key='id', pagination=pagination, selection=selection, on_select=self._selected
        )
        self.table.classes('w-full').props(f':rows-per-page-options="{PAGE_SIZES}" flat bordered hide-no-data')
        self.table.add_slot('body-cell-name', NAME_CELL)
        time_columns(self.table, 'created', 'updated')
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/deployments/{e.args[1]["name"]}'))
        self.empty = EmptyState()
        self.batch = DeploymentBatch(me, on_done=self._after_batch)
        if selection:
            self._batch_controls()

    async def reload(self) -> None:
        """Page one with the current search, sort and page size."""
        self._clear_selection()
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
        if self.url is not None:
            query = request.query()
            ui.navigate.history.replace(f'{self.url}?{query}' if query else self.url)
        self._show_selection()
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

    def _batch_controls(self) -> None:
        with self.batch_bar:
            self.selected_label = ui.label().classes('text-sm text-slate-600').mark('selected-count')
            self.select_all = ui.button(on_click=self._select_all_matching).props('flat dense no-caps')
            self.change_button = ui.button('Change model or options', icon='tune', on_click=self._change)
            self.delete_button = ui.button('Delete', icon='delete', color='negative', on_click=self._delete)
            for button in (self.change_button, self.delete_button):
                button.props('outline dense')
        self._show_selection()

    def _show_selection(self) -> None:
        if not hasattr(self, 'selected_label'):
            return
        total = self.table.pagination.get('rowsNumber') or 0
        count = total if self.all_matching else len(self.table.selected)
        self.batch_bar.visible = bool(count)
        self.selected_label.text = f'{count} selected' + (' (all matching)' if self.all_matching else '')
        self.select_all.text = f'Select all {total} matching'
        self.select_all.visible = not self.all_matching and total > len(self.table.rows)

    def _selected(self) -> None:
        self.all_matching = False
        self._show_selection()

    def _select_all_matching(self) -> None:
        self.all_matching = True
        self.table.selected = list(self.table.rows)
        self._show_selection()

    def _clear_selection(self) -> None:
        self.all_matching = False
        self.table.selected = []

    async def _targets(self) -> tuple[list[str], list[str]] | None:
        """The batch's ids and names: the selected rows, or every deployment the search matches."""
        if not self.all_matching:
            return [row['id'] for row in self.table.selected], [row['name'] for row in self.table.selected]
        try:
            return await self.me.act(_matching, self.search.value or '')
        except DomainError as error:
            feedback.failure(error)
            return None

    async def _change(self) -> None:
        targets = await self._targets()
        if targets:
            await self.batch.change(targets[0])

    async def _delete(self) -> None:
        targets = await self._targets()
        if targets:
            await self.batch.delete(*targets)

    async def _after_batch(self) -> None:
        self._clear_selection()
        current = self.table.pagination
        await self.load(
            TableRequest(
                self.search.value or '',
                current.get('sortBy') or 'name',
                bool(current.get('descending')),
                current.get('page') or 1,
                current.get('rowsPerPage') or 20,
            )
        )


def _matching(core: Core, actor: Actor, search: str) -> tuple[list[str], list[str]]:
    found = deployment_batches.select_deployments(core, actor, search=search.strip() or None)
    return [deployment_id for deployment_id, _ in found], [name for _, name in found]


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
