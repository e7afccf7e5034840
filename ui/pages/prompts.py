"""/prompts: the list; /prompts/new and /prompts/{id}: the editor with version history."""

from nicegui import events, ui

from core import prompts
from core.app import Core
from core.errors import DomainError
from core.prompts import PromptView
from ui import feedback
from ui.frame import EmptyState, frame
from ui.local_time import iso, local_time, time_columns
from ui.page_guard import dashboard_page
from ui.paged_table import paged_table
from ui.prompt_editor import PromptEditor
from ui.prompt_uses import PromptUses
from ui.responsive import panes, phone_columns
from ui.session import SignedIn

COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left'},
    {'name': 'version', 'label': 'Version', 'field': 'version', 'align': 'left'},
    {'name': 'variables', 'label': 'Template', 'field': 'template', 'align': 'left'},
    {'name': 'updated', 'label': 'Updated', 'field': 'updated', 'align': 'left'},
]
COLUMNS = phone_columns(COLUMNS, keep=('name', 'version'))


def register(core: Core) -> None:
    @dashboard_page('/prompts', core, section='Prompts')
    async def prompts_page(me: SignedIn) -> None:
        with frame('Prompts', me):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Prompts are versioned templates; deployments pin a version or follow the latest.').classes(
                    'text-slate-600'
                )
                new = ui.button('New prompt', icon='add', on_click=lambda: ui.navigate.to('/prompts/new'))
                new.set_enabled(me.may('prompts:write'))
            await PromptList(me).load(1)

    @dashboard_page('/prompts/new', core, section='Prompts')
    async def new_prompt_page(me: SignedIn) -> None:
        with frame('New prompt', me, section='Prompts'):
            PromptEditor(me, None, on_saved=lambda saved: ui.navigate.to(f'/prompts/{saved.id}'))

    @dashboard_page('/prompts/{prompt_id}', core, section='Prompts')
    async def prompt_page(me: SignedIn, prompt_id: str) -> None:
        prompt = await me.act(prompts.get_prompt, prompt_id)
        with frame(prompt.name, me, section='Prompts'):
            page = PromptPage(me, prompt)
            await page.show_versions()
            await page.uses.load()


class PromptList:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
        self.search = (
            ui.input('Search by name', on_change=lambda: self.load(1))
            .props('clearable dense outlined debounce=300')
            .classes('w-full sm:w-96')
        )
        self.table = paged_table(columns=COLUMNS, row_key='id', pagination={'page': 1, 'rowsPerPage': 20})
        self.table.classes('w-full').props('flat bordered hide-no-data')
        time_columns(self.table, 'updated')
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/prompts/{e.args[1]["id"]}'))
        self.empty = EmptyState()

    async def load(self, page: int, page_size: int | None = None) -> None:
        page_size = page_size or self.table.pagination.get('rowsPerPage') or 20
        search = (self.search.value or '').strip() or None
        try:
            result = await self.me.act(prompts.list_prompts, search=search, page=page, page_size=page_size)
        except DomainError as error:
            feedback.failure(error)
            return
        self.table.rows = [
            {
                'id': p.id,
                'name': p.name,
                'version': f'v{p.version}',
                'template': _first_line(p.template),
                'updated': iso(p.updated_at),
            }
            for p in result.items
        ]
        self.table.pagination = {'page': page, 'rowsPerPage': page_size, 'rowsNumber': result.total}
        if result.total:
            self.empty.show(None)
        elif search:
            self.empty.show('No prompt matches this search.')
        else:
            self.empty.show('No prompts yet. Click "New prompt" to write the first.')

    async def _on_request(self, event: events.GenericEventArguments) -> None:
        pagination = event.args['pagination']
        await self.load(pagination.get('page') or 1, pagination.get('rowsPerPage') or 20)


class PromptPage:
    """The editor, the version history (click one to see its template) and delete; `show_versions()` fills the history."""

    def __init__(self, me: SignedIn, prompt: PromptView) -> None:
        self.me, self.prompt = me, prompt
        with panes():
            with ui.column().classes('w-full md:w-auto md:grow min-w-0'):
                self.uses = PromptUses(me, prompt)
                self.editor = PromptEditor(me, prompt, on_saved=self._saved, save_existing=self.uses.save)
            with ui.card().classes('w-full md:w-96 shrink-0'):
                ui.label('Versions').classes('font-semibold')
                self.versions = ui.column().classes('w-full gap-1')
                self.version_text = ui.code('', language='text').classes('w-full')
                self.version_text.visible = False
                delete = ui.button('Delete prompt', icon='delete', color='negative', on_click=self._delete).props('outline')
                delete.set_enabled(me.may('prompts:write'))

    async def _saved(self, prompt: PromptView) -> None:
        self.prompt = prompt
        await self.show_versions()

    async def show_versions(self) -> None:
        try:
            versions = await self.me.act(prompts.list_versions, self.prompt.id)
        except DomainError as error:
            feedback.failure(error)
            return
        self.versions.clear()
        with self.versions:
            for version in versions:
                show = lambda v=version: self._show_version(v.version, v.template)  # noqa: E731
                label = f'v{version.version} · {version.created_by or "—"} ·'
                with ui.button(label, on_click=show).props('flat dense no-caps align=left'):
                    local_time(version.created_at, short=True).classes('ml-1')

    def _show_version(self, number: int, template: str) -> None:
        self.version_text.content = f'v{number}:\n{template}'
        self.version_text.visible = True

    async def _delete(self) -> None:
        if not await feedback.confirm(f'Delete the prompt {self.prompt.name} and all its versions?'):
            return
        try:
            await self.me.act(prompts.delete_prompt, self.prompt.id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {self.prompt.name}')
        ui.navigate.to('/prompts')


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ''
    return line if len(line) <= 80 else line[:79] + '…'
