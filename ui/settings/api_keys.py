"""API keys: create with scope checkboxes and rate limits (the token shown once, with a copy button), list, change
limits, revoke."""

from nicegui import ui

from core import api_keys
from core.api_keys import ApiKeyView
from core.errors import DomainError, Invalid
from core.permissions import SCOPES
from ui import display, feedback
from ui.local_time import line_with_times
from ui.session import SignedIn
from ui.settings.key_limits import LIMITS_NOTE, LimitInputs, change_limits, limits_text

DEFAULT_SCOPES = ('deployments:run', 'deployments:read', 'executions:read')


class ApiKeysPanel:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
        with ui.card().classes('w-full max-w-3xl'):
            ui.label('New API key').classes('font-semibold')
            self.name = ui.input('Name', placeholder='e.g. billing-service').classes('w-full').mark('key-name')
            ui.label('What programs using this key may do').classes('text-sm text-slate-600')
            with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-x-4'):
                self.scopes = {scope: _scope_checkbox(scope) for scope in SCOPES}
            self.scope_error = ui.label().classes('text-negative text-xs')
            self.expires = ui.number('Expires after days (empty: never)', min=1, max=3650, precision=0).classes('w-full sm:w-72')
            self.limits = LimitInputs()
            ui.label(LIMITS_NOTE).classes('text-xs text-slate-500')
            ui.button('Create key', icon='key', on_click=self.create)
        with ui.card().classes('w-full max-w-3xl') as self.created:
            ui.label('Copy this key now: it is shown only once.').classes('font-semibold text-warning')
            self.token = ui.code('', language='text').classes('w-full').mark('new-token')
        self.created.visible = False
        ui.label('Disabling a user revokes the keys they created.').classes('text-xs text-slate-500')
        self.list = ui.column().classes('w-full gap-1')

    async def show(self) -> None:
        try:
            keys = await self.me.act(api_keys.list_api_keys)
        except DomainError as error:
            feedback.failure(error)
            return
        self.list.clear()
        with self.list:
            if not keys:
                ui.label('No API keys yet. Programs call the API with one.').classes('text-slate-500')
            for key in keys:
                self._row(key)

    def _row(self, key: ApiKeyView) -> None:
        expiry = ('expires', key.expires_at) if key.expires_at else ('no expiry date',)
        state = ('revoked', key.revoked_at) if key.revoked_at else expiry
        with ui.row().classes('w-full items-center gap-3 border-b py-1'):
            ui.label(key.name).classes('font-medium')
            ui.label(key.hint).classes('font-mono text-xs')
            ui.label(', '.join(display.scope_label(scope) for scope in key.scopes)).classes('text-xs text-slate-500 grow')
            ui.label(limits_text(key)).classes('text-xs').mark(f'limits-{key.id}')
            used = ('last used', key.last_used_at, '·') if key.last_used_at else ('never used ·',)
            by = f'by {key.created_by or "the command line"} ·'
            line_with_times(by, *used, *state, classes='text-xs text-slate-500')
            if key.revoked_at is None:
                limits = ui.button('Limits', on_click=lambda k=key: self.change_limits(k)).props('flat dense')
                limits.mark(f'change-limits-{key.id}')
                ui.button('Revoke', on_click=lambda k=key: self.revoke(k)).props('flat dense color=negative')

    async def create(self) -> None:
        self.name.error, self.scope_error.text = None, ''
        days = self.expires.value
        try:
            created = await self.me.act(
                api_keys.create_api_key,
                name=self.name.value or '',
                scopes=[scope for scope, box in self.scopes.items() if box.value],
                expires_days=int(days) if days is not None else None,
                **self.limits.values(),
            )
        except Invalid as error:
            if error.field == 'scopes':
                self.scope_error.text = error.detail
            elif error.field in ('requestsPerMinute', 'concurrentRuns'):
                self.limits.show_error(error)
            else:
                feedback.show_error({'name': self.name, 'expiresDays': self.expires}, error)
            return
        except DomainError as error:
            feedback.failure(error)
            return
        self.token.content = created.token
        self.created.visible = True
        self.name.value = ''
        await self.show()
        feedback.success(f'Created the key {created.key.name}')

    async def change_limits(self, key: ApiKeyView) -> None:
        if await change_limits(self.me, key):
            await self.show()
            feedback.success(f'Saved the limits of {key.name}')

    async def revoke(self, key: ApiKeyView) -> None:
        if not await feedback.confirm(f'Revoke the key {key.name}? Programs using it stop working at once.', action='Revoke'):
            return
        try:
            await self.me.act(api_keys.revoke_api_key, key.id)
        except DomainError as error:
            feedback.failure(error)
            return
        await self.show()
        feedback.success(f'Revoked {key.name}')


def _scope_checkbox(scope: str) -> ui.checkbox:
    """The scope in words, its id beside it; the words are also the checkbox's accessible name."""
    box = ui.checkbox(f'{display.scope_label(scope)} ({scope})', value=scope in DEFAULT_SCOPES)
    return box.props(f'aria-label="{display.scope_label(scope)}"').mark(f'scope-{scope}')
