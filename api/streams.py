"""Server-sent events for one execution: its changes as core's follow() reports them, then its final record."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from starlette.responses import StreamingResponse

from api.schemas.executions import ExecutionPublic
from core.app import Core
from core.executions import ExecutionView
from core.follow import Quiet, StatusChange, TextDelta, Update, follow
from core.permissions import Actor

KEEPALIVE_SECONDS = 15.0  # proxies close connections that stay silent
SSE_HEADERS = {'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'}
DELTAS = frozenset({'delta'})
STATUS_AND_DELTAS = frozenset({'status', 'delta'})


async def event_stream(
    core: Core,
    execution_id: str,
    *,
    kinds: frozenset[str],
    actor: Actor | None = None,
    queue: Callable[[], Awaitable[ExecutionView]] | None = None,
    hidden: Callable[[], frozenset[str]] = frozenset,
) -> StreamingResponse:
    """The `text/event-stream` response: `kinds` of changes ('status', 'delta'), then one `execution` event.

    Following starts here, before the route returns (reading the execution as `actor`, or queueing it with `queue`),
    so nothing that happens meanwhile is missed, and a refused run or an unknown execution is still a 4xx, not a
    broken stream. `hidden`, asked once the run is queued, names the record's fields the final event leaves out.
    """
    updates = follow(core, execution_id, actor=actor, queue=queue, quiet_seconds=KEEPALIVE_SECONDS)
    first = await anext(updates)
    events = _events(first, updates, kinds, hidden())
    return StreamingResponse(events, media_type='text/event-stream', headers=SSE_HEADERS)


def sse(event: str, data: Any) -> bytes:
    return f'event: {event}\ndata: {json.dumps(data, separators=(",", ":"))}\n\n'.encode()


async def _events(
    first: Update, updates: AsyncIterator[Update], kinds: frozenset[str], hidden: frozenset[str]
) -> AsyncIterator[bytes]:
    async with aclosing(updates):
        chunk = _chunk(first, kinds, hidden)
        if chunk:
            yield chunk
        async for update in updates:
            chunk = _chunk(update, kinds, hidden)
            if chunk:
                yield chunk


def _chunk(update: Update, kinds: frozenset[str], hidden: frozenset[str]) -> bytes | None:
    if isinstance(update, Quiet):
        return b': keep-alive\n\n'
    if isinstance(update, TextDelta):
        return sse('delta', {'text': update.text}) if 'delta' in kinds else None
    if isinstance(update, StatusChange):
        return sse('status', _status_data(update)) if 'status' in kinds else None
    record = ExecutionPublic.model_validate(update).model_dump(mode='json', by_alias=True, exclude=set(hidden))
    return sse('execution', record)


def _status_data(change: StatusChange) -> dict[str, Any]:
    """{status, attempts?, error?, retrying?}: `retrying` says the deltas so far came from an attempt that failed."""
    data: dict[str, Any] = {'status': change.status}
    if change.attempts is not None:
        data['attempts'] = change.attempts
    if change.error is not None:
        data['error'] = change.error
    if change.retrying:
        data['retrying'] = True
    return data
