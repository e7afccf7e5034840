"""The dashboard's pages, registered over one Core, behind the sign-in redirect."""

from nicegui import app

from core.app import Core
from ui.pages import deployment, deployments, executions, files, login, prompts, settings
from ui.session import LoginRedirect


def register(core: Core) -> None:
    """Add every page and the middleware that sends visitors without a session to /login."""
    app.add_middleware(LoginRedirect)
    for page in (login, deployments, deployment, executions, prompts, files, settings):
        page.register(core)
