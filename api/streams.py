"""Server-sent events for one execution: its deltas (and status changes) as they happen, then its final record."""

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from api.schemas.executions import ExecutionPublic
from core import executions
from core.app import Core
from core.events import Subscription
from core.permissions import Actor
from core.vocabulary import FINISHED

POLL_SECONDS = 1.0  # a fallback re-read, for a worker in another process whose events never reach this bus
KEEPALIVE_SECONDS = 15.0
SSE_HEADERS = {'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'}


async def subscribe(core: Core, execution_id: str) -> tuple[Subscription, AsyncExitStack]:
    """Subscribe now (before the route returns) so no event is missed; the stream closes the stack."""
    stack = AsyncExitStack()
    subscription = await stack.enter_async_context(core.bus.subscribe(execution_id))
    return subscription, stack


def event_stream(
    core: Core, actor: Actor, execution_id: str, subscribed: tuple[Subscription, AsyncExitStack], *, kinds: frozenset[str]
) -> StreamingResponse:
    """The `text/event-stream` response: `kinds` of bus events, then one `execution` event."""
    subscription, stack = subscribed
    return StreamingResponse(
        _events(core, actor, execution_id, subscription, stack, kinds), media_type='text/event-stream', headers=SSE_HEADERS
    )


def sse(event: str, data: Any) -> bytes:
    return f'event: {event}\ndata: {json.dumps(data, separators=(",", ":"))}\n\n'.encode()


async def _events(
    core: Core, actor: Actor, execution_id: str, subscription: Subscription, stack: AsyncExitStack, kinds: frozenset[str]
) -> AsyncIterator[bytes]:
    async with stack:
        execution = await run_in_threadpool(executions.get_execution, core, actor, execution_id)
        if 'status' in kinds and execution.status not in FINISHED:
            yield sse('status', {'status': execution.status})  # where it stands as the stream opens
        quiet = 0.0
        while execution.status not in FINISHED:
            event = await subscription.get(timeout=POLL_SECONDS)
            quiet = quiet + POLL_SECONDS if event is None else 0.0
            if quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b': keep-alive\n\n'  # proxies close connections that stay silent
            if event is not None and event.kind in kinds:
                yield sse(event.kind, event.data)
            if event is None or (event.kind == 'status' and event.data.get('status') in FINISHED):
                # the row is the truth: re-read it when the bus says it ended, and now and then anyway
                execution = await run_in_threadpool(executions.get_execution, core, actor, execution_id)
        for event in subscription.pending():  # a run can finish before the stream's first read of its row
            if event.kind in kinds:
                yield sse(event.kind, event.data)
        yield sse('execution', ExecutionPublic.model_validate(execution).model_dump(mode='json', by_alias=True))
