"""An execution's attempts, one line each: which, when it started (local time), how long, and how it ended in words."""

from nicegui import ui

from core.engine.attempts import Attempt
from core.executions import ExecutionDetail
from core.vocabulary import AttemptOutcome, ExecutionStatus
from ui import display
from ui.local_time import local_time

OUTCOME_COLOURS = {AttemptOutcome.SUCCEEDED: 'text-positive', AttemptOutcome.RETRIED: 'text-warning'}


class AttemptList:
    """Every attempt the execution counts, those without a record said so; lines wrap to fit a phone."""

    def __init__(self) -> None:
        self.rows = ui.column().classes('w-full gap-2 min-w-0').mark('attempts')

    def show(self, execution: ExecutionDetail) -> None:
        self.rows.clear()
        recorded = {attempt.number: attempt for attempt in execution.attempt_timings}
        with self.rows:
            if not execution.attempts and not recorded:
                ui.label('None yet: the execution is waiting in the queue.').classes('text-sm text-slate-500')
            for number in range(1, max(execution.attempts, *recorded, 0) + 1):
                with ui.element('div').classes('w-full min-w-0 flex flex-wrap items-baseline gap-x-3 text-sm') as row:
                    row.mark(f'attempt-{number}')
                    ui.label(f'Attempt {number}').classes('font-medium')
                    attempt = recorded.get(number)
                    if attempt is None:
                        ui.label(unrecorded(execution, number)).classes('w-full break-words text-slate-500')
                        continue
                    local_time(attempt.started_at).classes('text-slate-500')
                    ui.label(display.duration(attempt.duration_ms)).classes('text-slate-500')
                    words = ui.label(outcome(attempt)).classes('w-full break-words min-w-0')
                    words.classes(OUTCOME_COLOURS.get(attempt.outcome, 'text-negative'))


def outcome(attempt: Attempt) -> str:
    """How the attempt ended, in plain words with the provider's own message."""
    if attempt.outcome == AttemptOutcome.SUCCEEDED:
        return 'Succeeded'
    if attempt.outcome == AttemptOutcome.RETRIED:
        return f'Failed — will try again: {attempt.error}'
    return f'Failed: {attempt.error}'


def unrecorded(execution: ExecutionDetail, number: int) -> str:
    """Why a counted attempt has no record: it is running, the run was cancelled during it, or its worker stopped."""
    last = number == execution.attempts
    if last and execution.status == ExecutionStatus.RUNNING:
        return 'Running now'
    if last and execution.status == ExecutionStatus.CANCELLED:
        return 'Stopped: the execution was cancelled before this attempt ended'
    return 'No record: the worker running this attempt stopped before it could write one'


def total(execution: ExecutionDetail) -> str:
    """The attempts count and the time they took together, e.g. '4 attempts, 3200 ms in all'."""
    timings = execution.attempt_timings
    spent = display.duration(sum(attempt.duration_ms for attempt in timings))
    if len(timings) >= execution.attempts:
        return f'{display.attempts(execution.attempts)}, {spent} in all'
    return f'{display.attempts(execution.attempts)}, {spent} in the {len(timings)} recorded'
