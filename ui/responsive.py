"""Layouts that hold at phone widths: side-by-side panes that stack, tables that keep only their main columns."""

from nicegui import ui

# Quasar's class for "shown from 600 px up": the column's header and cells disappear on a phone
WIDE_ONLY = 'gt-xs'


def phone_columns(columns: list[dict], *, keep: tuple[str, ...]) -> list[dict]:
    """The table's columns, those not in `keep` hidden below 600 px, so a phone shows rows without sideways scrolling."""
    hidden = {'classes': WIDE_ONLY, 'headerClasses': WIDE_ONLY}
    return [column if column['name'] in keep else column | hidden for column in columns]


def panes() -> ui.element:
    """Side by side from 768 px up; one column (each pane the full width) below."""
    return ui.element('div').classes('w-full flex flex-col md:flex-row items-stretch md:items-start gap-4')
