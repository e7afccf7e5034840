"""One execution in full, as labelled fields: status, what ran, tokens, cost and timing, attempts, input, messages,
result, error."""

import asyncio
import json
from contextlib import aclosing, suppress
from datetime import datetime

from nicegui import ui

from core import executions, pricing
from core.errors import DomainError, NotFound
from core.executions import ExecutionDetail as Detail
from core.executions import ExecutionView
from core.follow import StatusChange, TextDelta, Update, follow
from core.vocabulary import UNFINISHED
from ui import display, feedback, live
from ui.execution_attempts import AttemptList, total
from ui.executions_table import STATUS_COLORS
from ui.local_time import local_time
from ui.session import SignedIn


class ExecutionDetail:
    """Everything an execution recorded, as labelled fields; its result grows live while it runs."""

    def __init__(self, me: SignedIn, execution: Detail) -> None:
        self.me, self.execution = me, execution
        with ui.row().classes('items-center gap-3'):
            self.status = ui.badge().classes('text-base px-3 py-1').mark('status')
            self.cancel = ui.button('Cancel', icon='cancel', color='negative', on_click=self._cancel).props('outline dense')
            if not me.may('executions:write'):
                self.cancel.disable()
        with ui.card().classes('w-full border-l-4 border-red-600').mark('error-card') as self.error_card:
            ui.label('Error').classes('font-semibold text-negative')
            self.error = ui.label().classes('text-negative whitespace-pre-wrap break-words').mark('error')
        with ui.card().classes('w-full'):
            ui.label('What ran').classes('font-semibold')
            self.what_ran = Fields()
        with ui.card().classes('w-full'):
            ui.label('Tokens, cost and timing').classes('font-semibold')
            self.usage = Fields()
        with ui.card().classes('w-full'):
            ui.label('Attempts').classes('font-semibold')
            self.attempts = AttemptList()
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Input').classes('font-semibold')
                copy_input = ui.button('Copy input', icon='content_copy', on_click=lambda: self._copy(self.input_text, 'input'))
                copy_input.props('outline dense no-caps').mark('copy-input')
            self.variables = Fields(marker='variables')
            self.input = ui.code('', language='text').classes('w-full').mark('input')
        with ui.card().classes('w-full'):
            ui.label('Messages sent').classes('font-semibold')
            self.messages = ui.column().classes('w-full gap-1')
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center justify-between'):
                ui.label('Result').classes('font-semibold')
                result = lambda: self.execution.result or self.streamed  # noqa: E731  # as the provider wrote it
                copy_result = ui.button('Copy result', icon='content_copy', on_click=lambda: self._copy(result(), 'result'))
                copy_result.props('outline dense no-caps').mark('copy-result')
            self.validation = ui.label()
            self.result = ui.code('', language='text').classes('w-full').mark('result')
        self.input_text = ''
        self.streamed = ''
        self.following: asyncio.Task | None = None
        self.show(execution)
        if not execution.finished:
            self.following = live.while_open(self._follow(), name=f'execution {execution.id}')

    def show(self, execution: Detail) -> None:
        self.execution = execution
        self.status.text = execution.status
        self.status.props(f'color={STATUS_COLORS.get(execution.status, "grey")}')
        self.cancel.visible = execution.status in UNFINISHED
        self.error.text = execution.error or ''
        self.error_card.visible = bool(execution.error)
        self.what_ran.show(
            [
                ('Deployment', f'{execution.deployment_name or "(playground)"} · revision {execution.revision or "—"}'),
                ('Prompt version', f'v{execution.prompt_version}' if execution.prompt_version else '—'),
                ('Provider', display.provider_name(execution.provider)),
                ('Model', execution.model),
                ('Options', display.options_text(execution.options)),
                ('Origin', ORIGINS.get(execution.origin, execution.origin)),
                ('Trace id', execution.trace_id or '—'),
            ]
        )
        self.usage.show(
            [
                ('Tokens', f'{_number(execution.input_tokens)} in / {_number(execution.output_tokens)} out'),
                ('Cost', _cost(execution)),
                *_attempts(execution),
                ('Waited in the queue', _between(execution.created_at, execution.started_at)),
                ('From start to end', _between(execution.started_at, execution.completed_at)),
                ('Created', execution.created_at),
                ('Finished', execution.completed_at),
            ]
        )
        self.attempts.show(execution)
        self._show_input()
        self._show_result()
        self.validation.visible = execution.result_valid is not None
        if execution.result_valid is not None:
            self.validation.text = (
                'Matches the response schema'
                if execution.result_valid
                else f'Does not match the response schema: {execution.result_validation_message}'
            )
            self.validation.classes(replace='text-positive' if execution.result_valid else 'text-negative')
        self.messages.clear()
        with self.messages:
            for message in execution.messages:
                content = message.get('content')
                text = content if isinstance(content, str) else json.dumps(content, indent=2)
                ui.label(f'{message.get("role")}: {text}').classes('whitespace-pre-wrap break-words font-mono text-sm')

    async def reload(self) -> None:
        """Read the execution again (off the event loop, as the person is now) and show it."""
        try:
            await self._reread()
        except DomainError as error:
            feedback.failure(error)

    async def _reread(self) -> None:
        with suppress(NotFound):
            self.show(await self.me.act(executions.get_execution_detail, self.execution.id))

    def _show_input(self) -> None:
        """The input as sent; a JSON object's keys are the template's variables, listed one by one."""
        text, structured = display.pretty_result(self.execution.user_input)
        self.input_text = self.execution.user_input or json.dumps(self.execution.variables or {}, ensure_ascii=False)
        self.input.content = text or '(no text: the variables above are the input)'
        self.input.language = 'json' if structured else 'text'
        variables = self.execution.variables or _variables(self.execution.user_input)
        self.variables.show([(name, value if isinstance(value, str) else json.dumps(value)) for name, value in variables.items()])

    def _copy(self, text: str, what: str) -> None:
        ui.clipboard.write(text)
        feedback.success(f'Copied the {what}')

    def _show_result(self) -> None:
        text, structured = display.pretty_result(self.execution.result or self.streamed)
        unfinished = self.execution.status in UNFINISHED
        self.result.content = text or ('(waiting for the provider…)' if unfinished else '(no result)')
        self.result.language = 'json' if structured else 'text'

    async def _follow(self) -> None:
        """Show the run as it goes; stop once the person may no longer see it (e.g. their session ended)."""
        try:
            async with aclosing(follow(self.me.core, self.execution.id, actor=await self.me.actor())) as updates:
                async for update in updates:
                    await self._take(update)
        except DomainError as error:
            feedback.failure(error)

    async def _take(self, update: Update) -> None:
        if isinstance(update, TextDelta):
            self.streamed += update.text
            self._show_result()
        elif isinstance(update, StatusChange):
            if update.retrying:
                self.streamed = ''  # the next attempt writes its text from the start
            if update.status != self.execution.status or update.retrying:
                await self._reread()  # as the person is now: an ended session ends the following
        elif isinstance(update, ExecutionView):
            await self._reread()  # the record with its last attempt, which the update does not carry

    async def _cancel(self) -> None:
        try:
            cancelled = await self.me.act(executions.cancel_execution, self.execution.id)
        except DomainError as error:
            feedback.failure(error)
            await self.reload()
            return
        self.show(Detail(**vars(cancelled), attempt_timings=self.execution.attempt_timings))  # a cancel adds no attempt
        feedback.success('Cancelled')


ORIGINS = {'ui': 'the dashboard (Try it)', 'api': 'the API'}


class Fields:
    """Labelled values, label beside value, in two columns that fit a phone."""

    def __init__(self, *, marker: str | None = None) -> None:
        self.grid = ui.element('div').classes('w-full grid grid-cols-[minmax(7rem,auto)_1fr] gap-x-4 gap-y-1 text-sm')
        if marker:
            self.grid.mark(marker)

    def show(self, fields: list[tuple[str, str | datetime | None]]) -> None:
        self.grid.clear()
        self.grid.visible = bool(fields)
        with self.grid:
            for label, value in fields:
                ui.label(label).classes('text-slate-500')
                shown = local_time(value) if isinstance(value, datetime) or value is None else ui.label(value)
                shown.classes('break-words min-w-0')


def _variables(user_input: str | None) -> dict:
    """An older run's variables: the keys of a JSON object sent as its input."""
    if not user_input:
        return {}
    try:
        parsed = json.loads(user_input)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _number(value: int | None) -> str:
    return f'{value:,}' if value is not None else '—'


def _attempts(execution: Detail) -> list[tuple[str, str]]:
    """How many attempts and their time together; a run from before attempts were recorded shows its last one's."""
    if execution.attempt_timings:
        return [('Attempts', total(execution))]
    return [('Attempts', display.attempts(execution.attempts)), ('Last attempt', display.duration(execution.duration_ms))]


def _between(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return '—'
    return display.duration(round((end - start).total_seconds() * 1000))


def _cost(execution: ExecutionView) -> str:
    cost = pricing.cost_usd(
        provider=execution.provider, model=execution.model, input_tokens=execution.input_tokens,
        output_tokens=execution.output_tokens, at=execution.created_at,
    )  # fmt: skip
    return f'${cost:.6f}'.rstrip('0').rstrip('.') if cost is not None else 'not priced (model not in the price table)'
