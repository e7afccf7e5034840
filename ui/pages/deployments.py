"""/deployments: the searchable, sortable, paged list, and "New deployment"."""

from fastapi import Request
from nicegui import ui

from core.app import Core
from ui.deployment_dialog import DeploymentDialog
from ui.deployments_table import DeploymentsTable, TableRequest
from ui.frame import frame
from ui.page_guard import dashboard_page
from ui.refused_calls import unknown_names_note
from ui.session import SignedIn


def register(core: Core) -> None:
    @dashboard_page('/deployments', core, section='Deployments')
    async def deployments_page(me: SignedIn, request: Request) -> None:
        """Search, sort and page come from the URL and go back into it as they change."""
        can_write = me.may('deployments:write')
        with frame('Deployments', me):
            dialog = DeploymentDialog(me, on_saved=lambda deployment: ui.navigate.to(f'/deployments/{deployment.name}'))
            with ui.row().classes('w-full items-center justify-between'):
                ui.label(
                    'A deployment is the named, stable thing programs call: a prompt, a provider, a model and options.'
                ).classes('text-slate-600')
                new = ui.button('New deployment', icon='add', on_click=dialog.open_new)
                if not can_write:
                    new.disable()
                    new.tooltip('Your role can only read deployments')
            note = ui.column().classes('w-full')  # filled once read: the table is on the page from the first moment
            start = TableRequest.from_query(request.query_params)
            table = DeploymentsTable(me, start=start, url='/deployments')
            with note:
                await unknown_names_note(me)
            await table.load(start)
