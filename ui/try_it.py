"""The "Try it" panel: run a deployment from the dashboard and watch its result stream in."""

from nicegui import background_tasks, ui

from core import executions, files
from core.errors import DomainError
from core.vocabulary import FINISHED, ExecutionStatus, Origin
from data.tables import Deployment, Execution
from ui import display, feedback
from ui.option_inputs import OptionInputs
from ui.session import SignedIn

CHECK_SECONDS = 1.0  # without events (a worker in another process) re-read the execution this often


class TryIt:
    def __init__(self, me: SignedIn, deployment: Deployment, *, accepts_file: bool) -> None:
        self.me, self.core, self.deployment = me, me.core, deployment
        self.user_input = ui.textarea('Input', placeholder='Text, or a JSON object whose keys fill the template').classes(
            'w-full'
        )
        self.user_input.props('autogrow outlined').mark('try-input')
        with ui.expansion('Option overrides, trace id, file').classes('w-full'):
            self.options = OptionInputs(self.core)
            self.options.show(deployment.provider, {})
            self.trace_id = ui.input('Trace id (optional)').classes('w-full')
            self.file = ui.select({}, label='File', clearable=True).classes('w-full')
            self.file.visible = accepts_file
        self.fields = {'userInput': self.user_input, 'traceId': self.trace_id, 'fileId': self.file, **self.options.fields}
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
            background_tasks.create(self._load_files(), name='load files', context=self.file)

    async def run(self) -> None:
        """Start the execution, then show its text deltas as they arrive and its final record at the end."""
        feedback.clear_invalid(self.fields)
        self.output.text, self.details.visible = '', False
        self.spinner.visible, self.run_button.enabled = True, False
        try:
            # subscribe before the run starts so no early delta is missed
            async with self.core.bus.subscribe() as subscription:
                try:
                    execution = await self.me.act(
                        executions.run_deployment,
                        self.deployment.name,
                        user_input=self.user_input.value or '',
                        options=self.options.values() or None,
                        trace_id=(self.trace_id.value or '').strip() or None,
                        file_id=self.file.value or None,
                        origin=Origin.UI,
                    )
                except DomainError as error:
                    feedback.show_error(self.fields, error)
                    return
                self._show_status(execution)
                try:
                    await self._stream(subscription, execution)
                except DomainError as error:  # e.g. the session ended while it ran
                    feedback.failure(error)
        finally:
            self.spinner.visible, self.run_button.enabled = False, self.me.may('deployments:run')

    async def _stream(self, subscription, execution: Execution) -> None:
        while not self.output.is_deleted:
            event = await subscription.get(timeout=CHECK_SECONDS)
            if event is None:
                execution = await self.me.act(executions.get_execution, execution.id)
                self._show_status(execution)
                if execution.status in FINISHED:
                    break
                continue
            if event.execution_id != execution.id:
                continue
            if event.kind == 'delta':
                self.output.text += event.data.get('text', '')
            elif event.kind == 'status':
                self.status.text = event.data.get('status', '')
                if event.data.get('status') in FINISHED:
                    break
        self._show_final(await self.me.act(executions.get_execution, execution.id))

    def _show_status(self, execution: Execution) -> None:
        self.status.text = execution.status

    def _show_final(self, execution: Execution) -> None:
        text, _ = display.pretty_result(execution.result)
        if execution.status == ExecutionStatus.COMPLETED:
            self.output.text = text
            tokens = f'{execution.input_tokens} in / {execution.output_tokens} out'
            self.status.text = (
                f'completed in {display.duration(execution.duration_ms)} · {tokens} tokens · {execution.attempts} attempt(s)'
            )
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
