"""The shared page chrome: header with the account and sign-out, left navigation, the page title; empty-list notes."""

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from core import users
from core.errors import DomainError
from ui import feedback
from ui.local_time import localize_times
from ui.session import SignedIn
from ui.webhook_notice import webhook_notice

NAVIGATION = (
    ('Deployments', '/deployments', 'rocket_launch'),
    ('Executions', '/executions', 'bolt'),
    ('Prompts', '/prompts', 'description'),
    ('Files', '/files', 'attach_file'),
    ('Settings', '/settings', 'settings'),
)


@contextmanager
def frame(title: str, me: SignedIn, *, section: str | None = None) -> Iterator[ui.column]:
    """Header, navigation and title around a page's content; `section` marks the active navigation entry.

    The navigation is open beside the content from 1024 px up; narrower (a phone), it starts closed and the header's
    Menu button opens it over the content and closes it again.
    """
    ui.page_title(f'{title} · Hypersigil')
    ui.add_css(PHONE_CSS + CODE_CSS + DARK_CSS)
    localize_times()
    section = section or title
    with ui.header().classes('items-center justify-between no-wrap bg-slate-800 px-2 sm:px-4 py-2'):
        with ui.row().classes('items-center gap-1 no-wrap'):
            with ui.button(icon='menu').props('flat round dense color=white aria-label=Menu').mark('menu') as menu:
                menu_tip = ui.tooltip('Menu')
            ui.link('Hypersigil', '/deployments').classes('text-lg font-semibold text-white no-underline')
        with ui.row().classes('items-center gap-1 sm:gap-2 no-wrap min-w-0'):
            # on a phone the account would push the header wider than the screen; the Settings page names it too
            ui.label(f'{me.user.email} · {me.user.role}').classes('text-sm text-slate-200 truncate hidden md:block')
            ThemeToggle(me)
            # a button, not a link: a sign-out another site could trigger (an image, a link) would be a nuisance
            ui.button('Log out', icon='logout', on_click=me.sign_out).props('flat color=white dense')
    # open from 1024 px by Quasar's show-if-above, which tells the server; value=None would make NiceGUI ask the browser
    # for the state instead, a round trip that held up pages (and never answers in the simulated `user` tests)
    with ui.left_drawer(value=False).classes('bg-slate-50 p-2').props('width=200 bordered show-if-above') as drawer:
        drawer.mark('navigation')
        for label, path, icon in NAVIGATION:
            active = 'bg-slate-200 font-semibold' if label == section else ''
            with ui.row().classes(f'w-full items-center gap-3 no-wrap rounded px-3 py-2 {active}'):
                ui.icon(icon).classes('text-slate-600')
                ui.link(label, path).classes('no-underline text-slate-800 grow')
    # the tooltip says what the icon is; once clicked it would sit over the navigation's first entry, so it goes
    menu.on_click(lambda: (drawer.toggle(), menu_tip.run_method('hide')))
    with ui.column().classes('w-full max-w-screen-xl mx-auto p-3 sm:p-4 gap-4 min-w-0') as content:
        ui.label(title).classes('text-2xl font-semibold')
        webhook_notice(me)
        yield content


# below 1024 px the navigation slides in over the page; the header stays above it, so its Menu button can close it
PHONE_CSS = """
@media (max-width: 1023.98px) {
  .q-header { z-index: 3001; }
  .q-drawer--mobile .q-drawer__content { padding-top: 3.5rem; }
}
"""
# NiceGUI's copy button on code boxes is at 20 % opacity until hovered: nearly invisible, and a phone has no hover
CODE_CSS = '.nicegui-code-copy { opacity: 0.75; background: rgba(255, 255, 255, 0.85); }'
# the pages' light greys, turned for a dark background (Tailwind's classes stay as they are in the page code)
DARK_CSS = """
body.body--dark .bg-slate-50, body.body--dark .bg-slate-100 { background-color: #1e293b !important; }
body.body--dark .bg-slate-200 { background-color: #334155 !important; }
body.body--dark .text-slate-800, body.body--dark .text-slate-700 { color: #e2e8f0 !important; }
body.body--dark .text-slate-600, body.body--dark .text-slate-500 { color: #94a3b8 !important; }
"""

THEMES = {  # the stored choice -> (ui.dark_mode value, icon, what the button says it is now)
    None: (None, 'brightness_auto', 'Theme: as the system (click for dark)'),
    'dark': (True, 'dark_mode', 'Theme: dark (click for light)'),
    'light': (False, 'light_mode', 'Theme: light (click to follow the system)'),
}
NEXT_THEME = {None: 'dark', 'dark': 'light', 'light': None}


class ThemeToggle:
    """The header's theme button: follows the system until clicked, then dark, light, and back; kept on the account."""

    def __init__(self, me: SignedIn) -> None:
        self.me, self.theme = me, me.user.theme
        self.dark = ui.dark_mode()
        with ui.button(on_click=self.next).props('flat round dense color=white').mark('theme') as self.button:
            self.tip = ui.tooltip()
        self._show()

    async def next(self) -> None:
        try:
            saved = await self.me.act(users.set_theme, theme=NEXT_THEME[self.theme])
        except DomainError as error:
            feedback.failure(error)
            return
        self.theme = saved.theme
        self._show()

    def _show(self) -> None:
        value, icon, says = THEMES.get(self.theme, THEMES[None])
        self.dark.value = value
        self.button.props(f'icon={icon} aria-label="{says}"')
        self.tip.text = says


class EmptyState:
    """A quiet note under a list saying what to do next while the list is empty."""

    def __init__(self, *, icon: str = 'info') -> None:
        with ui.row().classes('items-center gap-2 text-slate-500 p-4') as self.row:
            ui.icon(icon)
            self.label = ui.label()
        self.row.visible = False

    def show(self, message: str | None) -> None:
        """Show `message`, or hide the note when it is None (the list has items)."""
        self.label.text = message or ''
        self.row.visible = message is not None
