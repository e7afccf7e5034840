"""A bound on sign-in pages served to browsers that never connect (scanners, floods of anonymous loads).

NiceGUI keeps every page it serves for a minute, waiting for the browser's websocket; without a bound, anonymous
loads would hold memory in proportion to their rate. A real browser connects within a second or two, so beyond
MAX_WAITING the oldest sign-in pages still waiting are dropped.
"""

from nicegui import Client, ui

MAX_WAITING = 300
_waiting: dict[str, Client] = {}  # by client id, oldest first


def count_this_page() -> None:
    """Count the sign-in page being built as waiting until its browser connects, dropping the oldest beyond the bound."""
    client = ui.context.client
    _waiting[client.id] = client
    client.on_connect(lambda: _waiting.pop(client.id, None))
    client.on_delete(lambda: _waiting.pop(client.id, None))
    while len(_waiting) > MAX_WAITING:
        oldest = _waiting.pop(next(iter(_waiting)))
        if Client.instances.get(oldest.id) is oldest and not oldest.has_socket_connection:  # still served, not connected
            oldest.delete()
