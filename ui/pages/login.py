"""Sign in, sign out, and the first run's "create the admin account"."""

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core import users
from core.app import Core
from core.errors import Conflict, Invalid, Unauthorized
from ui import feedback, session


def register(core: Core) -> None:
    @ui.page('/login')
    async def login_page(next: str = '') -> RedirectResponse | None:
        if await run.io_bound(users.needs_first_admin, core):
            return RedirectResponse('/setup')
        if session.signed_in_user(core):
            return RedirectResponse(_safe_target(next))
        ui.page_title('Sign in · Hypersigil')
        with _card('Sign in to Hypersigil'):
            email = ui.input('Email').props('autofocus autocomplete=username').classes('w-full')
            password = ui.input('Password', password=True).props('autocomplete=current-password').classes('w-full')

            async def sign_in() -> None:
                try:
                    user = await run.io_bound(users.authenticate, core, email=email.value or '', password=password.value or '')
                except Unauthorized as error:
                    password.error = error.message
                    return
                session.sign_in(user)
                ui.navigate.to(_safe_target(next))

            password.on('keydown.enter', sign_in)
            ui.button('Sign in', on_click=sign_in).classes('w-full')
        return None

    @ui.page('/setup')
    async def setup_page() -> RedirectResponse | None:
        if not await run.io_bound(users.needs_first_admin, core):
            return RedirectResponse('/login')
        ui.page_title('Welcome · Hypersigil')
        with _card('Welcome to Hypersigil'):
            ui.label('Create the admin account. You can add more people later under Settings.').classes('text-slate-600')
            email = ui.input('Admin email').props('autofocus autocomplete=username').classes('w-full')
            password = ui.input('Password', password=True).props('autocomplete=new-password').classes('w-full')
            repeat = ui.input('Repeat password', password=True).props('autocomplete=new-password').classes('w-full')
            fields = {'email': email, 'password': password}

            async def create_admin() -> None:
                if password.value != repeat.value:
                    repeat.error = 'the passwords differ'
                    return
                try:
                    user = await run.io_bound(
                        users.create_first_admin, core, email=email.value or '', password=password.value or ''
                    )
                except Invalid as error:
                    feedback.show_error(fields, error)
                    return
                except Conflict as error:
                    feedback.failure(error)
                    ui.navigate.to('/login')
                    return
                session.sign_in(user)
                feedback.success('Admin account created')
                ui.navigate.to('/deployments')

            ui.button('Create admin account', on_click=create_admin).classes('w-full')
        return None

    @ui.page('/logout')
    def logout_page() -> RedirectResponse:
        session.sign_out()
        return RedirectResponse('/login')

    @ui.page('/')
    def index_page() -> RedirectResponse:
        return RedirectResponse('/deployments')


def _card(title: str) -> ui.card:
    with ui.column().classes('w-full items-center pt-24'), ui.card().classes('w-96 gap-3') as card:
        ui.label(title).classes('text-xl font-semibold')
    return card


def _safe_target(target: str) -> str:
    """Only paths on this site, so a crafted link cannot send someone elsewhere after signing in."""
    return target if target.startswith('/') and not target.startswith('//') else '/deployments'
