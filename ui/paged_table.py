"""A table paged by the server: each `request` from the browser reads one page, and the server says how many rows match."""

from typing import Any

from nicegui import ui
from nicegui.events import ValueChangeEventArguments


def paged_table(*, columns: list[dict], pagination: dict, **options: Any) -> ui.table:
    """An empty ui.table whose `request` handler (the caller's) sets `rows` and `pagination`, 'rowsNumber' included.

    Its pagination is the server's alone. QTable asks for pages, sizes and orders through `request`; the one pagination
    it sends itself is a copy of the one it was drawn with, once mounted. The page is drawn before its rows are read,
    so that copy says 0 rows, and NiceGUI would put it over the count read meanwhile: "1-0 of 0" under the rows.
    """
    table = ui.table(columns=columns, rows=[], pagination={'rowsNumber': 0, **pagination}, **options)
    table.on_pagination_change(_keep_servers_pagination)
    return table


def _keep_servers_pagination(event: ValueChangeEventArguments) -> None:
    event.sender.pagination = event.previous_value  # the browser's copy is never newer than the server's
