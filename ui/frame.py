"""The shared page chrome: header with the account and sign-out, left navigation, the page title; empty-list notes."""

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

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
    """Header, navigation and title around a page's content; `section` marks the active navigation entry."""
    ui.page_title(f'{title} · Hypersigil')
    section = section or title
    with ui.header().classes('items-center justify-between bg-slate-800 px-4 py-2'):
        ui.link('Hypersigil', '/deployments').classes('text-lg font-semibold text-white no-underline')
        with ui.row().classes('items-center gap-2'):
            ui.label(f'{me.user.email} · {me.user.role}').classes('text-sm text-slate-200')
            # a button, not a link: a sign-out another site could trigger (an image, a link) would be a nuisance
            ui.button('Log out', icon='logout', on_click=me.sign_out).props('flat color=white dense')
    with ui.left_drawer(value=True, fixed=True).classes('bg-slate-50 p-2').props('width=200 bordered'):
        for label, path, icon in NAVIGATION:
            active = 'bg-slate-200 font-semibold' if label == section else ''
            with ui.row().classes(f'w-full items-center gap-3 no-wrap rounded px-3 py-2 {active}'):
                ui.icon(icon).classes('text-slate-600')
                ui.link(label, path).classes('no-underline text-slate-800 grow')
    with ui.column().classes('w-full max-w-screen-xl mx-auto p-4 gap-4') as content:
        ui.label(title).classes('text-2xl font-semibold')
        webhook_notice(me)
        yield content


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
