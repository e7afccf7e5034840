"""/prompts: the list; /prompts/new and /prompts/{id}: the editor with version history."""

from fastapi.responses import RedirectResponse
from nicegui import events, ui

from core import prompts
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from core.prompts import PromptView
from ui import display, feedback, session
from ui.frame import frame
from ui.prompt_editor import PromptEditor

COLUMNS = [
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left'},
    {'name': 'version', 'label': 'Version', 'field': 'version', 'align': 'left'},
    {'name': 'variables', 'label': 'Template', 'field': 'template', 'align': 'left'},
    {'name': 'updated', 'label': 'Updated', 'field': 'updated', 'align': 'left'},
]


def register(core: Core) -> None:
    @ui.page('/prompts')
    def prompts_page() -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/prompts')
        with frame('Prompts', user):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Prompts are versioned templates; deployments pin a version or follow the latest.').classes(
                    'text-slate-600'
                )
                new = ui.button('New prompt', icon='add', on_click=lambda: ui.navigate.to('/prompts/new'))
                new.set_enabled(user.actor.can('prompts:write'))
            PromptList(core, user.actor)
        return None

    @ui.page('/prompts/new')
    def new_prompt_page() -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/prompts/new')
        with frame('New prompt', user, section='Prompts'):
            PromptEditor(core, user.actor, None, on_saved=lambda saved: ui.navigate.to(f'/prompts/{saved.id}'))
        return None

    @ui.page('/prompts/{prompt_id}')
    def prompt_page(prompt_id: str) -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login(f'/prompts/{prompt_id}')
        try:
            prompt = prompts.get_prompt(core, user.actor, prompt_id)
        except DomainError as error:
            with frame('Prompt not found', user, section='Prompts'):
                ui.label(feedback.message_of(error)).classes('text-negative')
                ui.link('Back to prompts', '/prompts')
            return None
        with frame(prompt.name, user, section='Prompts'):
            PromptPage(core, user.actor, prompt)
        return None


class PromptList:
    def __init__(self, core: Core, actor: Actor) -> None:
        self.core, self.actor = core, actor
        self.search = (
            ui.input('Search by name', on_change=lambda: self.load(1))
            .props('clearable dense outlined debounce=300')
            .classes('w-96')
        )
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination={'page': 1, 'rowsPerPage': 20, 'rowsNumber': 0})
        self.table.classes('w-full').props('flat bordered')
        self.table.on('request', self._on_request)
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/prompts/{e.args[1]["id"]}'))
        self.empty = ui.label().classes('text-slate-500')
        self.load(1)

    def load(self, page: int, page_size: int | None = None) -> None:
        page_size = page_size or self.table.pagination.get('rowsPerPage') or 20
        try:
            result = prompts.list_prompts(
                self.core, self.actor, search=(self.search.value or '').strip() or None, page=page, page_size=page_size
            )
        except DomainError as error:
            feedback.failure(error)
            return
        self.table.rows = [
            {
                'id': p.id,
                'name': p.name,
                'version': f'v{p.version}',
                'template': _first_line(p.template),
                'updated': display.when(p.updated_at),
            }
            for p in result.items
        ]
        self.table.pagination = {'page': page, 'rowsPerPage': page_size, 'rowsNumber': result.total}
        self.empty.visible = result.total == 0
        self.empty.text = (
            'No prompt matches this search.' if self.search.value else 'No prompts yet. Click "New prompt" to write the first.'
        )

    def _on_request(self, event: events.GenericEventArguments) -> None:
        pagination = event.args['pagination']
        self.load(pagination.get('page') or 1, pagination.get('rowsPerPage') or 20)


class PromptPage:
    """The editor, the version history (click one to see its template) and delete."""

    def __init__(self, core: Core, actor: Actor, prompt: PromptView) -> None:
        self.core, self.actor, self.prompt = core, actor, prompt
        with ui.row().classes('w-full items-start gap-4 no-wrap'):
            with ui.column().classes('grow'):
                self.editor = PromptEditor(core, actor, prompt, on_saved=self._saved)
            with ui.card().classes('w-96'):
                ui.label('Versions').classes('font-semibold')
                self.versions = ui.column().classes('w-full gap-1')
                self.version_text = ui.code('', language='text').classes('w-full')
                self.version_text.visible = False
                delete = ui.button('Delete prompt', icon='delete', color='negative', on_click=self._delete).props('outline')
                delete.set_enabled(actor.can('prompts:write'))
        self._show_versions()

    def _saved(self, prompt: PromptView) -> None:
        self.prompt = prompt
        self._show_versions()

    def _show_versions(self) -> None:
        self.versions.clear()
        with self.versions:
            for version in prompts.list_versions(self.core, self.actor, self.prompt.id):
                label = f'v{version.version} · {version.created_by or "—"} · {display.when(version.created_at)}'
                ui.button(label, on_click=lambda v=version: self._show_version(v.version, v.template)).props(
                    'flat dense no-caps align=left'
                )

    def _show_version(self, number: int, template: str) -> None:
        self.version_text.content = f'v{number}:\n{template}'
        self.version_text.visible = True

    async def _delete(self) -> None:
        if not await feedback.confirm(f'Delete the prompt {self.prompt.name} and all its versions?'):
            return
        try:
            prompts.delete_prompt(self.core, self.actor, self.prompt.id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {self.prompt.name}')
        ui.navigate.to('/prompts')


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ''
    return line if len(line) <= 80 else line[:79] + '…'
