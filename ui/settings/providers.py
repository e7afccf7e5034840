"""Provider credentials: the key shown masked after saving, the base URL or host, and a test that lists models."""

from nicegui import ui

from core import credentials, provider_status
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from ui import display, feedback

SOURCES = {'database': 'saved here', 'environment': 'from the environment', 'none': 'not set'}
URL_LABELS = {'openai': 'Base URL (optional)', 'anthropic': 'Base URL (optional)', 'ollama': 'Host'}


class ProvidersPanel:
    def __init__(self, core: Core, actor: Actor) -> None:
        ui.label('Keys saved here are encrypted at rest and win over the environment variables.').classes('text-slate-600')
        for provider in core.registry.names:
            ProviderCard(core, actor, provider)


class ProviderCard:
    def __init__(self, core: Core, actor: Actor, provider: str) -> None:
        self.core, self.actor, self.provider = core, actor, provider
        can_edit = actor.can('admin')
        with ui.card().classes('w-full max-w-2xl'):
            ui.label(display.provider_name(provider)).classes('text-lg font-semibold')
            self.current = ui.label().classes('text-sm text-slate-600')
            self.api_key = ui.input('New API key', password=True, password_toggle_button=True).classes('w-full')
            self.api_key.mark(f'api-key-{provider}')
            self.api_key.visible = provider != 'ollama'
            self.base_url = ui.input(URL_LABELS[provider]).classes('w-full')
            with ui.row().classes('items-center gap-2'):
                ui.button('Save', on_click=self.save).mark(f'save-{provider}').set_enabled(can_edit)
                ui.button('Test connection', on_click=self.test).props('outline').mark(f'test-{provider}')
                self.spinner = ui.spinner()
                self.spinner.visible = False
            self.result = ui.label().classes('text-sm whitespace-pre-wrap')
            if not can_edit:
                ui.label('Only admins can change credentials.').classes('text-xs text-slate-500')
        self.show()

    def show(self) -> None:
        try:
            info = credentials.credential_info(self.core, self.actor, self.provider)
        except DomainError as error:
            self.current.text = feedback.message_of(error)
            return
        key = f'API key {info.api_key_hint}' if info.has_api_key else 'no API key'
        self.current.text = f'{key} · {info.base_url or "default endpoint"} · {SOURCES.get(info.source, info.source)}'
        # a saved value is edited in place; an environment value is only shown (saving blank keeps using it)
        self.base_url.value = info.base_url if info.source == 'database' and info.base_url else ''
        self.base_url.props(f'placeholder="{info.base_url or ""}"')

    def save(self) -> None:
        self.base_url.error = None
        try:
            credentials.save_credential(
                self.core,
                self.actor,
                provider=self.provider,
                api_key=self.api_key.value or None,
                base_url=(self.base_url.value or '').strip(),
            )
        except DomainError as error:
            feedback.show_error({'baseUrl': self.base_url, 'apiKey': self.api_key}, error)
            return
        self.api_key.value = ''  # never shown again: only its last four characters
        feedback.success(f'Saved {self.provider} credentials')
        self.show()

    async def test(self) -> None:
        """List the provider's models with the current credentials, bypassing the cache."""
        self.spinner.visible, self.result.text = True, ''
        try:
            models = await provider_status.list_models(self.core, self.actor, self.provider, refresh=True)
        except DomainError as error:
            self.result.text = f'Could not connect: {feedback.message_of(error)}'
            self.result.classes(replace='text-sm whitespace-pre-wrap text-negative')
            return
        finally:
            self.spinner.visible = False
        self.result.text = f'Connected. {len(models)} models: {", ".join(models[:20])}' + (' …' if len(models) > 20 else '')
        self.result.classes(replace='text-sm whitespace-pre-wrap text-positive')
