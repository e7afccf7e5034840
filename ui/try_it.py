"""The "Try it" panel: run a deployment from the dashboard and watch its result stream in."""

from collections.abc import AsyncIterator
from contextlib import aclosing
from functools import partial

from nicegui import ui

from core import executions, files
from core.deployments import DeploymentView
from core.errors import DomainError
from core.executions import ExecutionView
from core.follow import StatusChange, TextDelta, Update, follow
from core.vocabulary import ExecutionStatus, Origin
from ui import display, feedback, live
from ui.option_inputs import OptionInputs
from ui.session import SignedIn
from ui.variable_inputs import VariableInputs


class TryIt:
    """`variables`: the names the template of the prompt version the deployment runs uses (one input each); `schema`:
    that version's input schema (it types the values)."""

    def __init__(
        self, me: SignedIn, deployment: DeploymentView, *, accepts_file: bool, variables: list[str], schema: dict | None
    ) -> None:
        self.me, self.core, self.deployment = me, me.core, deployment
        self.inputs = VariableInputs(variables, marker='try', schema=schema)
        with ui.expansion('Option overrides, trace id, file').classes('w-full'):
            self.options = OptionInputs(me.core)
            self.options.show(deployment.provider, {})
            self.trace_id = ui.input('Trace id (optional)').classes('w-full')
            self.file = ui.select({}, label='File', clearable=True).classes('w-full')
            self.file.visible = accepts_file
        self.fixed_fields = {'traceId': self.trace_id, 'fileId': self.file, **self.options.fields}
        with ui.row().classes('items-center gap-3'):
            self.run_button = ui.button('Run', icon='play_arrow', on_click=self.run)
            self.spinner = ui.spinner()
            self.spinner.visible = False
            self.status = ui.label().classes('text-slate-600')
        self.output = ui.label().classes('w-full whitespace-pre-wrap font-mono text-sm p-3 bg-slate-50 rounded min-h-[3rem]')
        self.details = ui.link('', '#').classes('text-sm')
        self.details.visible = False
        if not me.may('deployments:run'):
            self.run_button.disable()
            self.run_button.tooltip('Your role cannot run deployments')
        if accepts_file:
            live.while_open(self._load_files(), name='try it: files')

    @property
    def fields(self) -> dict:
        return {**self.inputs.fields, **self.fixed_fields}

    def show_variables(self, variables: list[str], schema: dict | None) -> None:
        """One input per variable of the template the deployment runs now (after an edit)."""
        self.inputs.show(variables, schema)

    async def run(self) -> None:
        """Start the execution, then show its text deltas as they arrive and its final record at the end."""
        feedback.clear_invalid(self.fields)
        user_input, variables = self.inputs.run_input()
        self.output.text, self.details.visible = '', False
        self.spinner.visible, self.run_button.enabled = True, False
        execution_id = executions.new_execution_id()
        queue = partial(
            self.me.act,  # as the person is now
            executions.run_deployment,
            self.deployment.name,
            user_input=user_input,
            variables=variables,
            options=self.options.values() or None,
            trace_id=(self.trace_id.value or '').strip() or None,
            file_id=self.file.value or None,
            origin=Origin.UI,
            execution_id=execution_id,
        )
        try:
            await self._watch(follow(self.core, execution_id, queue=queue))  # listens, then queues the run
        except DomainError as error:  # refused: nothing was queued
            feedback.show_error(self.fields, error)
        finally:
            self.spinner.visible, self.run_button.enabled = False, self.me.may('deployments:run')

    async def _watch(self, updates: AsyncIterator[Update]) -> None:
        async with aclosing(updates):
            async for update in updates:
                if self.output.is_deleted:
                    return  # the page was closed
                if isinstance(update, TextDelta):
                    self.output.text += update.text
                elif isinstance(update, StatusChange):
                    self.status.text = update.status
                    if update.retrying:
                        self.output.text = ''  # the attempt that streamed it failed; the next one starts over
                else:
                    self._show_final(update)

    def _show_final(self, execution: ExecutionView) -> None:
        text, _ = display.pretty_result(execution.result)
        if execution.status == ExecutionStatus.COMPLETED:
            self.output.text = text
            tokens = f'{execution.input_tokens} in / {execution.output_tokens} out'
            took = display.duration(execution.duration_ms)
            self.status.text = f'completed in {took} · {tokens} tokens · {display.attempts(execution.attempts)}'
            if execution.result_valid is False:
                self.status.text += f' · does not match the response schema: {execution.result_validation_message}'
        else:
            self.status.text = f'{execution.status}: {execution.error or ""}'.rstrip(': ')
        self.details.text = 'Open this execution'
        self.details.props(f'href=/executions/{execution.id}')
        self.details.visible = True

    async def _load_files(self) -> None:
        try:
            page = await self.me.act(files.list_files, page=1, page_size=100)
        except DomainError:
            return  # a role without files:read simply sees no file choices
        self.file.set_options({f.id: f'{f.filename} ({f.size} bytes)' for f in page.items})
