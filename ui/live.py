"""Keep part of a page live: a follower of executions (core.follow) running for as long as the page is open."""

import asyncio
from collections.abc import Coroutine
from typing import Any

from nicegui import background_tasks, ui


def while_open(coroutine: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task:
    """Run `coroutine` in the background, in this page's context, until it ends or the page closes."""
    client = ui.context.client
    task = background_tasks.create(coroutine, name=name, context=client)
    client.on_delete(task.cancel)
    return task
