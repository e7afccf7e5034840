"""The dashboard's pages, registered over one Core; each guards itself (ui.page_guard)."""

from nicegui import app

from core.app import Core
from ui import not_found
from ui.pages import deployment, deployments, executions, files, login, prompts, settings
from ui.security_headers import SecurityHeaders


def register(core: Core) -> None:
    """Add every page, our 404 page, and the headers that keep them out of other sites' frames."""
    app.add_middleware(SecurityHeaders)
    for page in (login, deployments, deployment, executions, prompts, files, settings):
        page.register(core)
    not_found.install(core)
