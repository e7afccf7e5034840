"""/deployments/{name}: configuration, edit and delete, Try it, API snippets, live executions, revisions with rollback."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from core import deployments, prompts
from core.app import Core
from core.errors import DomainError, NotFound
from core.permissions import Actor
from ui import display, feedback, session
from ui.deployment_dialog import DeploymentDialog
from ui.executions_table import ExecutionFilters, ExecutionsTable
from ui.frame import frame
from ui.snippets import run_snippets
from ui.try_it import TryIt

SHOWN_REVISIONS = 50


def register(core: Core) -> None:
    @ui.page('/deployments/{name}')
    def deployment_page(name: str, request: Request) -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login(f'/deployments/{name}')
        try:
            deployment = deployments.get_deployment(core, user.actor, name)
        except DomainError as error:
            with frame('Deployment not found', user, section='Deployments'):
                ui.label(feedback.message_of(error)).classes('text-negative')
                ui.link('Back to deployments', '/deployments')
            return None
        with frame(deployment.name, user, section='Deployments'):
            DeploymentView(core, user.actor, deployment, base_url=str(request.base_url))
        return None


class DeploymentView:
    def __init__(self, core: Core, actor: Actor, deployment: deployments.DeploymentView, *, base_url: str) -> None:
        self.core, self.actor, self.deployment = core, actor, deployment
        self.dialog = DeploymentDialog(core, actor, on_saved=self._saved)
        can_write = actor.can('deployments:write')
        with ui.row().classes('w-full items-start gap-4'):
            with ui.card().classes('grow'):
                ui.label('Configuration').classes('font-semibold')
                self.configuration = ui.column().classes('gap-1')
                with ui.row():
                    edit = ui.button('Edit', icon='edit', on_click=lambda: self.dialog.open_edit(self.deployment))
                    delete = ui.button('Delete', icon='delete', color='negative', on_click=self._delete).props('outline')
                    for button in (edit, delete):
                        button.set_enabled(can_write)
                if not can_write:
                    ui.label('Your role can view this deployment but not change it.').classes('text-xs text-slate-500')
            with ui.card().classes('w-[32rem]'):
                ui.label('Call it from code').classes('font-semibold')
                run_snippets(base_url, deployment.name)
        with ui.card().classes('w-full'):
            ui.label('Try it').classes('font-semibold')
            self.try_it = TryIt(core, actor, deployment, accepts_file=self._accepts_file())
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Latest executions').classes('font-semibold')
                ui.link('All executions of this deployment', f'/executions?deployment={deployment.name}').classes('text-sm')
            ExecutionsTable(core, actor, filters=ExecutionFilters(deployment=deployment.name), page_size=10)
        with ui.card().classes('w-full'):
            ui.label('Revisions').classes('font-semibold')
            self.revisions = ui.column().classes('w-full gap-1')
        self.show()

    def show(self) -> None:
        """Fill the configuration and the revision list from the current deployment."""
        d = self.deployment
        self.configuration.clear()
        with self.configuration:
            for label, value in (
                ('Prompt', display.prompt_version(self._prompt_name(), d.prompt_version)),
                ('Provider', d.provider),
                ('Model', d.model),
                ('Options', display.options_text(d.options)),
                ('Revision', str(d.revision)),
                ('Updated', display.when(d.updated_at)),
            ):
                with ui.row().classes('gap-2'):
                    ui.label(f'{label}:').classes('text-slate-500 w-24')
                    ui.label(value)
        self.try_it.options.show(d.provider, self.try_it.options.values())
        self._show_revisions()

    def _show_revisions(self) -> None:
        self.revisions.clear()
        can_write = self.actor.can('deployments:write')
        with self.revisions:
            for revision in deployments.list_revisions(self.core, self.actor, self.deployment.id)[:SHOWN_REVISIONS]:
                config = revision.config
                current = revision.revision == self.deployment.revision
                with ui.row().classes('w-full items-center gap-3 border-b py-1'):
                    ui.label(f'rev {revision.revision}').classes('font-mono w-16')
                    ui.label(f'{revision.created_by or "—"} · {display.when(revision.created_at)}').classes('text-slate-500 w-80')
                    ui.label(
                        f'v{config.get("promptVersion") or "latest"} · {config.get("provider")} · {config.get("model")} · '
                        f'{display.options_text(config.get("options"))}'
                    ).classes('grow')
                    if current:
                        ui.badge('current', color='positive')
                    else:
                        rollback = ui.button(
                            f'Roll back to rev {revision.revision}', on_click=lambda r=revision.revision: self._rollback(r)
                        )
                        rollback.props('flat dense').set_enabled(can_write)

    async def _rollback(self, revision: int) -> None:
        try:
            self.deployment = await deployments.rollback_deployment(self.core, self.actor, self.deployment.id, revision=revision)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Rolled back to revision {revision}; saved as revision {self.deployment.revision}')
        self.show()

    def _saved(self, deployment: deployments.DeploymentView) -> None:
        self.deployment = deployment
        self.show()

    async def _delete(self) -> None:
        if not await feedback.confirm(f'Delete the deployment {self.deployment.name}? Its executions stay readable.'):
            return
        try:
            deployments.delete_deployment(self.core, self.actor, self.deployment.id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {self.deployment.name}')
        ui.navigate.to('/deployments')

    def _prompt_name(self) -> str:
        try:
            return prompts.get_prompt(self.core, self.actor, self.deployment.prompt_id).name
        except NotFound:
            return '(deleted prompt)'

    def _accepts_file(self) -> bool:
        try:
            prompt = prompts.get_prompt(self.core, self.actor, self.deployment.prompt_id, version=self.deployment.prompt_version)
        except DomainError:
            return False
        return prompt.accepts_file
