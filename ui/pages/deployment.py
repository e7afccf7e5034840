"""/deployments/{name}: configuration, edit and delete, Try it, API snippets, live executions, revisions with rollback."""

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from nicegui import ui

from core import deployments, prompts
from core.app import Core
from core.errors import DomainError, NotFound
from core.permissions import Actor
from core.templates import template_variables
from ui import display, feedback
from ui.deployment_dialog import DeploymentDialog
from ui.executions_table import ExecutionFilters, ExecutionsTable
from ui.frame import frame
from ui.local_time import local_time
from ui.metrics_charts import MetricsCharts
from ui.page_guard import dashboard_page
from ui.refused_calls import RefusedCalls
from ui.responsive import panes
from ui.revision_list import RevisionList, revision_history
from ui.rollout_panel import RolloutPanel
from ui.session import SignedIn
from ui.snippets import run_snippets
from ui.try_it import TryIt


def register(core: Core) -> None:
    @dashboard_page('/deployments/{name}', core, section='Deployments')
    async def deployment_page(me: SignedIn, name: str, request: Request) -> None:
        deployment = await me.act(deployments.get_deployment, name)
        facts = await me.act(_prompt_facts, deployment)
        with frame(deployment.name, me, section='Deployments'):
            base_url = str(request.base_url)  # the address the browser is using: the snippets call it
            await DeploymentView(me, deployment, facts, base_url=base_url).show()


@dataclass(frozen=True)
class PromptFacts:
    """What the page shows of the prompt version the deployment runs."""

    name: str
    accepts_file: bool
    variables: list[str]  # its template's, in order of first use ('input' among them when it uses {{input}})
    input_schema: dict | None = None


class DeploymentView:
    def __init__(self, me: SignedIn, deployment: deployments.DeploymentView, facts: PromptFacts, *, base_url: str) -> None:
        self.me, self.deployment, self.facts, self.base_url = me, deployment, facts, base_url
        self.dialog = DeploymentDialog(me, on_saved=self._saved)
        can_write = me.may('deployments:write')
        with panes():
            with ui.card().classes('w-full md:w-auto md:grow min-w-0'):
                ui.label('Configuration').classes('font-semibold')
                self.configuration = ui.column().classes('gap-1')
                with ui.row():
                    edit = ui.button('Edit', icon='edit', on_click=lambda: self.dialog.open_edit(self.deployment))
                    delete = ui.button('Delete', icon='delete', color='negative', on_click=self._delete).props('outline')
                    for button in (edit, delete):
                        button.set_enabled(can_write)
                if not can_write:
                    ui.label('Your role can view this deployment but not change it.').classes('text-xs text-slate-500')
            with ui.card().classes('w-full md:w-[32rem] min-w-0'):
                ui.label('Call it from code').classes('font-semibold')
                self.snippets = ui.column().classes('w-full gap-1')
        self.rollout = RolloutPanel(me, deployment.name, on_ended=self._reload)
        with ui.card().classes('w-full'):
            self.metrics = MetricsCharts(me, deployment.name)
        with ui.card().classes('w-full'):
            ui.label('Try it').classes('font-semibold')
            self.try_it = TryIt(
                me, deployment, accepts_file=facts.accepts_file, variables=facts.variables, schema=facts.input_schema
            )
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Latest executions').classes('font-semibold')
                ui.link('All executions of this deployment', f'/executions?deployment={deployment.name}').classes('text-sm')
            self.executions = ExecutionsTable(me, filters=ExecutionFilters(deployment=deployment.name), page_size=10)
        with ui.card().classes('w-full'):
            ui.label('Refused calls').classes('font-semibold')
            self.refused = RefusedCalls(me, deployment.id)
        with ui.card().classes('w-full'):
            ui.label('Revisions').classes('font-semibold')
            self.revisions = RevisionList(can_write=can_write, on_rollback=self._rollback)

    async def show(self) -> None:
        """Fill the configuration and the revision list from the current deployment."""
        d = self.deployment
        self.configuration.clear()
        with self.configuration:
            for label, value in (
                ('Prompt', display.prompt_version(self.facts.name, d.prompt_version)),
                ('Provider', display.provider_name(d.provider)),
                ('Model', d.model),
                ('Options', display.options_text(d.options)),
                ('Revision', str(d.revision)),
                ('Updated', d.updated_at),
            ):
                with ui.row().classes('gap-2'):
                    ui.label(f'{label}:').classes('text-slate-500 w-24')
                    local_time(value) if isinstance(value, datetime) else ui.label(value)
        self.try_it.options.show(d.provider, self.try_it.options.values())
        self.try_it.show_variables(self.facts.variables, self.facts.input_schema)
        self.snippets.clear()
        with self.snippets:
            run_snippets(self.base_url, d.name, self.facts.variables)
        await self.refused.load()
        await self.rollout.load()
        await self.metrics.load()
        await self._show_revisions()

    async def _show_revisions(self) -> None:
        try:
            revisions, rollouts = await self.me.act(revision_history, self.deployment.id)
        except DomainError as error:
            feedback.failure(error)
            return
        self.revisions.show(revisions, rollouts, self.deployment.revision)

    async def _rollback(self, revision: int) -> None:
        question = f'Make revision {revision} current again? Every call gets its configuration at once.'
        if not await feedback.confirm(question, action='Roll back'):
            return
        try:
            self.deployment = await self.me.act(deployments.rollback_deployment, self.deployment.id, revision=revision)
        except DomainError as error:
            feedback.failure(error)
            return
        await self.show()
        feedback.success(f'Rolled back to revision {revision}; saved as revision {self.deployment.revision}')

    async def _saved(self, deployment: deployments.DeploymentView) -> None:
        self.deployment = deployment
        try:
            self.facts = await self.me.act(_prompt_facts, deployment)
        except DomainError as error:
            feedback.failure(error)
        await self.show()

    async def _reload(self) -> None:
        """After a rollout ends (a promotion moves the current revision), as the deployment is now."""
        try:
            await self._saved(await self.me.act(deployments.get_deployment, self.deployment.id))
        except DomainError as error:
            feedback.failure(error)

    async def _delete(self) -> None:
        if not await feedback.confirm(f'Delete the deployment {self.deployment.name}? Its executions stay readable.'):
            return
        try:
            await self.me.act(deployments.delete_deployment, self.deployment.id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {self.deployment.name}')
        ui.navigate.to('/deployments')


def _prompt_facts(core: Core, actor: Actor, deployment: deployments.DeploymentView) -> PromptFacts:
    """The deployment's prompt name, whether the version it runs accepts a file, and its template's variables."""
    try:
        name = prompts.get_prompt(core, actor, deployment.prompt_id).name
    except NotFound:
        return PromptFacts('(deleted prompt)', False, [])
    try:
        version = prompts.get_prompt(core, actor, deployment.prompt_id, version=deployment.prompt_version)
        return PromptFacts(name, version.accepts_file, template_variables(version.template), version.input_schema)
    except DomainError:
        return PromptFacts(name, False, [])
