"""One execution in full: messages, options, result with its validation, tokens, timings, and cancel."""

import asyncio
import json
from contextlib import aclosing, suppress

from nicegui import ui

from core import executions
from core.errors import DomainError, NotFound
from core.executions import ExecutionView
from core.follow import StatusChange, TextDelta, Update, follow
from core.vocabulary import UNFINISHED
from ui import display, feedback, live
from ui.executions_table import STATUS_COLORS
from ui.session import SignedIn


class ExecutionDetail:
    """Everything an execution recorded; its result grows live while it runs."""

    def __init__(self, me: SignedIn, execution: ExecutionView) -> None:
        self.me, self.execution = me, execution
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
        if not execution.finished:
            self.following = live.while_open(self._follow(), name=f'execution {execution.id}')

    def show(self, execution: ExecutionView) -> None:
        self.execution = execution
        self.status.text = execution.status
        self.status.props(f'color={STATUS_COLORS.get(execution.status, "grey")}')
        self.cancel.visible = execution.status in UNFINISHED
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
        self._show_result()
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
        """Read the execution again (off the event loop, as the person is now) and show it."""
        try:
            await self._reread()
        except DomainError as error:
            feedback.failure(error)

    async def _reread(self) -> None:
        with suppress(NotFound):
            self.show(await self.me.act(executions.get_execution, self.execution.id))

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
            self.show(update)

    async def _cancel(self) -> None:
        try:
            cancelled = await self.me.act(executions.cancel_execution, self.execution.id)
        except DomainError as error:
            feedback.failure(error)
            await self.reload()
            return
        self.show(cancelled)
        feedback.success('Cancelled')
