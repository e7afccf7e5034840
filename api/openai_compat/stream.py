"""A streamed chat completion: the execution's text as `chat.completion.chunk` events while it is written."""

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime

from starlette.responses import StreamingResponse

from api.openai_compat.completions import DONE, Chunks, data, failure
from api.routes.runs import KeyedQueue
from api.streams import KEEPALIVE_SECONDS, SSE_HEADERS
from core.app import Core
from core.executions import ExecutionView
from core.follow import Quiet, StatusChange, TextDelta, Update, follow
from core.vocabulary import ExecutionStatus


async def completion_stream(
    core: Core, execution_id: str, queue: KeyedQueue, *, model: str, include_usage: bool
) -> StreamingResponse:
    """The `text/event-stream` response. The run is queued here, before the route returns, so a refused run is still
    an error the SDK raises, not a broken stream. A replayed call (Idempotency-Key) follows the first call's run."""
    updates = follow(core, execution_id, queue=queue, quiet_seconds=KEEPALIVE_SECONDS)
    first = await anext(updates)
    followed = queue.accepted.execution.id if queue.accepted else execution_id
    chunks = Chunks(followed, datetime.now(UTC), model, include_usage=include_usage)
    return StreamingResponse(_events(first, updates, chunks), media_type='text/event-stream', headers=SSE_HEADERS)


async def _events(first: Update, updates: AsyncIterator[Update], chunks: Chunks) -> AsyncIterator[bytes]:
    """Deltas as they come. After a failed attempt is retried, the next attempt's text starts over: the stream then
    waits for the end and sends what the result adds to the text already sent (an error if it does not continue it)."""
    yield chunks.delta({'role': 'assistant', 'content': ''})
    sent, live = '', True
    async with aclosing(updates):
        update = first
        while not isinstance(update, ExecutionView):
            if isinstance(update, Quiet):
                yield b': keep-alive\n\n'
            elif isinstance(update, TextDelta) and live and update.text:
                sent += update.text
                yield chunks.delta({'content': update.text})
            elif isinstance(update, StatusChange) and update.retrying:
                live = False
            update = await anext(updates)
    async for event in _ending(update, sent, chunks):
        yield event


async def _ending(execution: ExecutionView, sent: str, chunks: Chunks) -> AsyncIterator[bytes]:
    result = execution.result or ''
    if execution.status == ExecutionStatus.COMPLETED and result.startswith(sent):
        if result[len(sent) :]:
            yield chunks.delta({'content': result[len(sent) :]})
        yield chunks.delta({}, 'stop')
        if 'usage' in chunks.base:
            yield chunks.usage(execution)
        yield DONE
        return
    yield data({'error': failure(execution)})  # the SDKs raise an APIError for an `error` event
