"""/settings: provider credentials, API keys and users; keys and users are for admins only."""

from fastapi.responses import RedirectResponse
from nicegui import ui

from core.app import Core
from ui import session
from ui.frame import frame
from ui.settings.api_keys import ApiKeysPanel
from ui.settings.providers import ProvidersPanel
from ui.settings.users import UsersPanel


def register(core: Core) -> None:
    @ui.page('/settings')
    def settings_page() -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/settings')
        admin = user.actor.can('admin')
        with frame('Settings', user):
            with ui.tabs() as tabs:
                providers = ui.tab('Providers')
                keys = ui.tab('API keys')
                people = ui.tab('Users')
            with ui.tab_panels(tabs, value=providers).classes('w-full'):
                with ui.tab_panel(providers):
                    ProvidersPanel(core, user.actor)
                with ui.tab_panel(keys):
                    ApiKeysPanel(core, user.actor) if admin else _admins_only('API keys')
                with ui.tab_panel(people):
                    UsersPanel(core, user.actor) if admin else _admins_only('Users')
        return None


def _admins_only(what: str) -> None:
    ui.label(f'{what} are managed by admins. Ask an admin if you need a change.').classes('text-slate-500')
