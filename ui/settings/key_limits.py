"""A key's rate limits in the dashboard: the two number fields, how a key's limits read, and the dialog that changes them."""

from nicegui import ui

from core import api_keys
from core.api_keys import ApiKeyView
from core.errors import DomainError, Invalid
from ui import feedback
from ui.session import SignedIn

LIMITS_NOTE = 'Empty: no limit. Runs refused over a limit are answered 429 with Retry-After.'


class LimitInputs:
    """Requests per minute and concurrent runs, as number fields (empty: no limit)."""

    def __init__(self, key: ApiKeyView | None = None, *, marker: str = '') -> None:
        with ui.row().classes('gap-4'):
            self.requests_per_minute = (
                ui.number('Runs per minute', value=key.requests_per_minute if key else None, min=1, precision=0)
                .classes('w-44')
                .mark(f'{marker}requests-per-minute')
            )
            self.concurrent_runs = (
                ui.number('Runs at once', value=key.concurrent_runs if key else None, min=1, precision=0)
                .classes('w-44')
                .mark(f'{marker}concurrent-runs')
            )

    def values(self) -> dict[str, int | None]:
        return {
            'requests_per_minute': _whole(self.requests_per_minute.value),
            'concurrent_runs': _whole(self.concurrent_runs.value),
        }

    def show_error(self, error: DomainError) -> None:
        feedback.show_error({'requestsPerMinute': self.requests_per_minute, 'concurrentRuns': self.concurrent_runs}, error)


def limits_text(key: ApiKeyView) -> str:
    """'5 runs/min · 2 at once', or 'no rate limits'."""
    parts = [f'{key.requests_per_minute} runs/min'] if key.requests_per_minute else []
    parts += [f'{key.concurrent_runs} at once'] if key.concurrent_runs else []
    return ' · '.join(parts) or 'no rate limits'


async def change_limits(me: SignedIn, key: ApiKeyView) -> bool:
    """Ask for the key's new limits and save them; whether they were saved."""
    with ui.dialog() as dialog, ui.card().classes('gap-2'):
        ui.label(f'Rate limits of {key.name}').classes('font-semibold')
        inputs = LimitInputs(key, marker='edit-')
        ui.label(LIMITS_NOTE + ' The next run of the key obeys the new limits.').classes('text-xs text-slate-500')

        async def save() -> None:
            try:
                await me.act(api_keys.update_api_key, key.id, changes=inputs.values())
            except Invalid as error:
                inputs.show_error(error)
                return
            except DomainError as error:
                feedback.failure(error)
                return
            dialog.submit(True)

        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
            ui.button('Save limits', on_click=save).mark('save-limits')
    saved = await dialog
    dialog.delete()
    return bool(saved)


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)
