"""/settings: provider credentials, API keys, users and webhooks; keys, users and webhooks are for admins only."""

from nicegui import ui

from core.app import Core
from ui.frame import frame
from ui.page_guard import dashboard_page
from ui.session import SignedIn
from ui.settings.api_keys import ApiKeysPanel
from ui.settings.providers import ProvidersPanel
from ui.settings.users import UsersPanel
from ui.settings.webhooks import WebhooksPanel


def register(core: Core) -> None:
    @dashboard_page('/settings', core, section='Settings')
    async def settings_page(me: SignedIn, tab: str = '') -> None:
        admin = me.may('admin')
        with frame('Settings', me):
            with ui.tabs() as tabs:
                providers = ui.tab('Providers')
                keys = ui.tab('API keys')
                people = ui.tab('Users')
                hooks = ui.tab('Webhooks')
            opened = {'webhooks': hooks}.get(tab, providers)  # the admins' notice of a disabled endpoint links here
            with ui.tab_panels(tabs, value=opened).classes('w-full'):
                with ui.tab_panel(providers):
                    panels = [ProvidersPanel(me, can_edit=admin)]
                with ui.tab_panel(keys):
                    if admin:
                        panels.append(ApiKeysPanel(me))
                    else:
                        _admins_only('API keys')
                with ui.tab_panel(people):
                    if admin:
                        panels.append(UsersPanel(me))
                    else:
                        _admins_only('Users')
                with ui.tab_panel(hooks):
                    if me.may('webhooks:read'):
                        panels.append(WebhooksPanel(me))
                    else:
                        _admins_only('Webhooks')
        for panel in panels:  # all drawn first, then filled from the database
            await panel.show()


def _admins_only(what: str) -> None:
    ui.label(f'{what} are managed by admins. Ask an admin if you need a change.').classes('text-slate-500')
