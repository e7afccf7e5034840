"""Sign in (throttled), the session cookie it starts, and the first run's "create the admin account" from a setup link."""

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from core import sessions, users
from core.app import Core
from core.errors import DomainError, Invalid, Unauthorized
from ui import feedback, session, unconnected_pages
from ui.targets import HOME, safe_target

SETUP_HELP = (
    'To create the admin account, open the setup link that the server printed in its console when it started. '
    'Or create it from a shell: python main.py users create --email E --password-stdin --role admin'
)


def register(core: Core) -> None:
    @ui.page('/login')
    async def login_page(request: Request, next: str = '') -> RedirectResponse | None:
        target = safe_target(next)
        if await run.io_bound(users.needs_first_admin, core):
            return session.redirect('/setup')
        if await session.signed_in(core, request):
            return session.redirect(target)
        unconnected_pages.count_this_page()
        ui.page_title('Sign in · Hypersigil')
        with _card('Sign in to Hypersigil'):
            email = ui.input('Email').props('autofocus autocomplete=username').classes('w-full')
            password = ui.input('Password', password=True).props('autocomplete=current-password').classes('w-full')

            async def sign_in() -> None:
                try:
                    ticket = await run.io_bound(
                        sessions.sign_in,
                        core,
                        email=email.value or '',
                        password=password.value or '',
                        address=request.client.host if request.client else 'unknown',
                        known_browser=request.cookies.get(session.KNOWN_BROWSER_COOKIE),
                    )
                except Unauthorized as error:
                    password.error = error.message
                    return
                ui.navigate.to(_start_url(ticket, target))

            password.on('keydown.enter', sign_in)
            ui.button('Sign in', on_click=sign_in).classes('w-full')
        return None

    @ui.page('/setup')
    async def setup_page(token: str = '') -> RedirectResponse | None:
        if not await run.io_bound(users.needs_first_admin, core):
            return session.redirect('/login')
        unconnected_pages.count_this_page()
        ui.page_title('Welcome · Hypersigil')
        with _card('Welcome to Hypersigil'):
            if not await run.io_bound(users.setup_token_valid, core, token):
                ui.label(SETUP_HELP).classes('text-slate-600')
                return None
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
                        users.create_first_admin, core, token=token, email=email.value or '', password=password.value or ''
                    )
                    ticket = await run.io_bound(sessions.issue_ticket, core, user.id)
                except Invalid as error:
                    feedback.show_error(fields, error)
                    return
                except DomainError as error:  # another visitor of a setup link was first
                    feedback.failure(error)
                    ui.navigate.to('/login')
                    return
                feedback.success('Admin account created')
                ui.navigate.to(_start_url(ticket, HOME))

            ui.button('Create admin account', on_click=create_admin).classes('w-full')
        return None

    @app.get('/session/start', include_in_schema=False)
    def start_session(request: Request, ticket: str = '', next: str = '') -> RedirectResponse:
        """The browser trades its sign-in ticket for a new session cookie (its previous session ends), then goes on."""
        if request.headers.get('sec-fetch-site', 'same-origin') not in ('same-origin', 'none'):  # a link another site planted
            return RedirectResponse('/login', status_code=303)
        try:
            token, user = sessions.start_session(core, ticket, replacing=session.session_token(core, request))
        except Unauthorized:
            return RedirectResponse('/login', status_code=303)
        response = RedirectResponse(safe_target(next), status_code=303)
        session.set_session_cookies(core, response, token=token, known_browser=users.known_browser_token(core, user.id))
        return response

    @app.get('/', include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse(HOME)


def _start_url(ticket: str, target: str) -> str:
    return '/session/start?' + urlencode({'ticket': ticket, 'next': target})


def _card(title: str) -> ui.card:
    with ui.column().classes('w-full items-center pt-24'), ui.card().classes('w-96 max-w-[calc(100vw-2rem)] gap-3') as card:
        ui.label(title).classes('text-xl font-semibold')
    return card
