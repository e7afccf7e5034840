"""Toasts, inline field errors from core's Invalid, and the confirmation asked before deleting."""

from collections.abc import Mapping

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from core.errors import DomainError, Invalid
from core.sessions import SessionEnded


def success(message: str) -> None:
    ui.notify(message, type='positive')


def failure(error: Exception | str) -> None:
    """A toast for an error a person can act on (an ended session has its own notice already)."""
    if isinstance(error, SessionEnded):
        return
    ui.notify(message_of(error), type='negative', multi_line=True)


def message_of(error: Exception | str) -> str:
    if isinstance(error, Invalid):
        return f'{error.field}: {error.detail}'
    if isinstance(error, DomainError):
        return error.message
    return str(error)


def show_error(fields: Mapping[str, ValidationElement], error: DomainError) -> None:
    """Put an Invalid's message under the field it names (it clears when the value changes); anything else, a toast."""
    field = (fields.get(error.field) or fields.get(error.field.split('.')[0])) if isinstance(error, Invalid) else None
    if field is None:
        failure(error)
    else:
        field.error = error.detail


def clear_invalid(fields: Mapping[str, ValidationElement]) -> None:
    for field in fields.values():
        field.error = None


async def confirm(question: str, *, action: str = 'Delete') -> bool:
    """Ask before something that cannot be undone."""
    with ui.dialog() as dialog, ui.card():
        ui.label(question)
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat').mark('confirm-no')
            ui.button(action, color='negative', on_click=lambda: dialog.submit(True)).mark('confirm-yes')
    answer = await dialog
    dialog.delete()
    return bool(answer)
