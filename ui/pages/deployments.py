"""/deployments: the searchable, sortable, paged list, and "New deployment"."""

from fastapi.responses import RedirectResponse
from nicegui import ui

from core.app import Core
from core.deployments import DeploymentView
from ui import session
from ui.deployment_dialog import DeploymentDialog
from ui.deployments_table import DeploymentsTable
from ui.frame import frame


def register(core: Core) -> None:
    @ui.page('/deployments')
    def deployments_page() -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/deployments')
        with frame('Deployments', user):
            actor = user.actor

            def opened(deployment: DeploymentView) -> None:
                ui.navigate.to(f'/deployments/{deployment.name}')

            dialog = DeploymentDialog(core, actor, on_saved=opened)
            with ui.row().classes('w-full items-center justify-between'):
                ui.label(
                    'A deployment is the named, stable thing programs call: a prompt, a provider, a model and options.'
                ).classes('text-slate-600')
                new = ui.button('New deployment', icon='add', on_click=dialog.open_new)
                if not actor.can('deployments:write'):
                    new.disable()
                    new.tooltip('Your role can only read deployments')
            DeploymentsTable(core, actor)
        return None
