"""One execution in full: messages, options, result with its validation, tokens, timings, and cancel."""

import asyncio
import json

from nicegui import ui

from core import executions
from core.engine.cancel import cancel_execution
from core.errors import DomainError, NotFound
from core.events import Event
from core.vocabulary import UNFINISHED
from data.tables import Execution
from ui import display, feedback, live
from ui.executions_table import STATUS_COLORS
from ui.session import SignedIn


class ExecutionDetail:
    """Everything an execution recorded; its result grows live while it runs."""

    def __init__(self, me: SignedIn, execution: Execution) -> None:
        self.me, self.execution_id = me, execution.id
        with ui.row().classes('items-center gap-3'):
            self.status = ui.badge()
            self.cancel = ui.button('Cancel', icon='cancel', color='negative', on_click=self._cancel).props('outline dense')
            if not me.may('executions:write'):
                self.cancel.disable()
        self.facts = ui.label().classes('text-slate-600')
        with ui.card().classes('w-full'):
            ui.label('Result').classes('font-semibold')
            self.validation = ui.label()
            self.result = ui.code('', language='text').classes('w-full')
            self.error = ui.label().classes('text-negative whitespace-pre-wrap')
        with ui.card().classes('w-full'):
            ui.label('Messages sent').classes('font-semibold')
            self.messages = ui.column().classes('w-full gap-1')
        self.streamed = ''
        self.following: asyncio.Task | None = None
        self.show(execution)
        if execution.status in UNFINISHED:
            self.following = live.follow(
                me.core, self._on_events, execution_id=execution.id, idle_seconds=2.0, on_idle=self.reload
            )

    def show(self, execution: Execution) -> None:
        self.status.text = execution.status
        self.status.props(f'color={STATUS_COLORS.get(execution.status, "grey")}')
        self.cancel.visible = execution.status in UNFINISHED
        if self.following and execution.status not in UNFINISHED:
            self.following.cancel()  # nothing more will happen to it
        self.facts.text = ' · '.join(
            [
                f'deployment {execution.deployment_name or "(playground)"} rev {execution.revision or "—"}',
                f'prompt v{execution.prompt_version or "—"}',
                f'{execution.provider} · {execution.model}',
                f'options: {display.options_text(execution.options)}',
                f'tokens {execution.input_tokens if execution.input_tokens is not None else "—"} in / '
                f'{execution.output_tokens if execution.output_tokens is not None else "—"} out',
                f'duration {display.duration(execution.duration_ms)}',
                f'attempts {execution.attempts}',
                f'origin {execution.origin}',
                f'trace id {execution.trace_id or "—"}',
                f'created {display.when(execution.created_at)}',
            ]
        )
        text, structured = display.pretty_result(execution.result or self.streamed)
        self.result.content = text or ('(waiting for the provider…)' if execution.status in UNFINISHED else '(no result)')
        self.result.language = 'json' if structured else 'text'
        self.validation.visible = execution.result_valid is not None
        if execution.result_valid is not None:
            self.validation.text = (
                'Matches the response schema'
                if execution.result_valid
                else f'Does not match the response schema: {execution.result_validation_message}'
            )
            self.validation.classes(replace='text-positive' if execution.result_valid else 'text-negative')
        self.error.text = execution.error or ''
        self.messages.clear()
        with self.messages:
            for message in execution.messages:
                content = message.get('content')
                text = content if isinstance(content, str) else json.dumps(content, indent=2)
                ui.label(f'{message.get("role")}: {text}').classes('whitespace-pre-wrap font-mono text-sm')

    async def reload(self) -> None:
        try:
            self.show(await self.me.act(executions.get_execution, self.execution_id))
        except NotFound:
            pass
        except DomainError as error:
            feedback.failure(error)

    async def _on_events(self, batch: list[Event]) -> None:
        self.streamed += ''.join(e.data.get('text', '') for e in batch if e.kind == 'delta')
        await self.reload()

    async def _cancel(self) -> None:
        try:
            self.show(await self.me.act(cancel_execution, self.execution_id))
        except DomainError as error:
            feedback.failure(error)
            await self.reload()
            return
        feedback.success('Cancelled')
