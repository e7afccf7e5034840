"""Provider credentials: the key shown masked after saving, the base URL or host, a test that lists models, and removal."""

from nicegui import ui

from core import credentials
from core.errors import DomainError, Invalid
from ui import display, feedback
from ui.session import SignedIn

SOURCES = {'database': 'saved here', 'environment': 'from the environment', 'none': 'not set'}
URL_LABELS = {'openai': 'Base URL (optional)', 'anthropic': 'Base URL (optional)', 'ollama': 'Host'}


class ProvidersPanel:
    def __init__(self, me: SignedIn, *, can_edit: bool) -> None:
        ui.label('Keys saved here are encrypted at rest and win over the environment variables.').classes('text-slate-600')
        self.cards = [ProviderCard(me, provider, can_edit=can_edit) for provider in me.core.registry.names]

    async def show(self) -> None:
        for card in self.cards:
            await card.show()


class ProviderCard:
    def __init__(self, me: SignedIn, provider: str, *, can_edit: bool) -> None:
        self.me, self.provider, self.can_edit = me, provider, can_edit
        with ui.card().classes('w-full max-w-2xl'):
            ui.label(display.provider_name(provider)).classes('text-lg font-semibold')
            self.current = ui.label().classes('text-sm text-slate-600')
            self.api_key = ui.input('New API key', password=True, password_toggle_button=True).classes('w-full')
            self.api_key.mark(f'api-key-{provider}')
            self.api_key.visible = provider != 'ollama'
            self.base_url = ui.input(URL_LABELS[provider]).classes('w-full').mark(f'base-url-{provider}')
            with ui.row().classes('items-center gap-2'):
                ui.button('Save', on_click=self.save).mark(f'save-{provider}').set_enabled(can_edit)
                test = ui.button('Test connection', on_click=self.test).props('outline').mark(f'test-{provider}')
                test.tooltip('Tries the key and URL typed here (or those in use when blank) without saving them')
                self.remove = ui.button('Remove saved key, use the environment', on_click=self.forget)
                self.remove.props('flat color=negative').mark(f'remove-{provider}')
                self.spinner = ui.spinner()
                self.spinner.visible = False
            self.result = ui.label().classes('text-sm whitespace-pre-wrap')
            if not can_edit:
                ui.label('Only admins can change credentials.').classes('text-xs text-slate-500')

    async def show(self) -> None:
        try:
            info = await self.me.act(credentials.credential_info, self.provider)
        except DomainError as error:
            self.current.text = feedback.message_of(error)
            return
        key = f'API key {info.api_key_hint}' if info.has_api_key else 'no API key'
        self.current.text = f'{key} · {info.base_url or "default endpoint"} · {SOURCES.get(info.source, info.source)}'
        # a saved value is edited in place; an environment value is only shown (saving blank keeps using it)
        self.base_url.value = info.base_url if info.source == 'database' and info.base_url else ''
        self.base_url.props(f'placeholder="{info.base_url or ""}"')
        self.remove.visible = self.can_edit and info.source == 'database'

    async def save(self) -> None:
        self.base_url.error = None
        try:
            await self.me.act(
                credentials.save_credential,
                provider=self.provider,
                api_key=self.api_key.value or None,
                base_url=(self.base_url.value or '').strip(),
            )
        except DomainError as error:
            feedback.show_error({'baseUrl': self.base_url, 'apiKey': self.api_key}, error)
            return
        self.api_key.value = ''  # never shown again: only its last four characters
        await self.show()
        feedback.success(f'Saved {display.provider_name(self.provider)} credentials')

    async def forget(self) -> None:
        """Delete what the dashboard saved for this provider; its environment variables apply again."""
        name = display.provider_name(self.provider)
        if not await feedback.confirm(f'Remove the {name} key and URL saved here? The environment variables apply again.'):
            return
        try:
            await self.me.act(credentials.delete_credential, self.provider)
        except DomainError as error:
            feedback.failure(error)
            return
        await self.show()
        feedback.success(f'Removed the saved {name} credentials')

    async def test(self) -> None:
        """List the provider's models with the key and URL as typed (blanks: what is in use now); nothing is saved."""
        self.spinner.visible, self.result.text = True, ''
        self.api_key.error = self.base_url.error = None
        try:
            models = await self.me.act(
                credentials.try_credential,
                provider=self.provider,
                api_key=self.api_key.value or None,
                base_url=self.base_url.value or None,
            )
        except Invalid as error:
            feedback.show_error({'baseUrl': self.base_url, 'apiKey': self.api_key}, error)
            return
        except DomainError as error:
            self.result.text = f'Could not connect: {feedback.message_of(error)}'
            self.result.classes(replace='text-sm whitespace-pre-wrap text-negative')
            return
        finally:
            self.spinner.visible = False
        shown = ', '.join(models[:20]) + (' …' if len(models) > 20 else '')
        self.result.text = f'Connected. {len(models)} models: {shown}'
        self.result.classes(replace='text-sm whitespace-pre-wrap text-positive')
