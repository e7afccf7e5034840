"""Executions: read one, list with filters, follow its events, cancel."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from api import streams
from api.deps import CoreDep, ExecutionsRead, ExecutionsWrite, PageNumber, PageSize
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.executions import ExecutionDetailPublic, ExecutionPublic, ExecutionsPublic
from core import execution_listing, executions
from core.vocabulary import ExecutionStatus, Origin

router = APIRouter(prefix='/executions', tags=['executions'], responses=RESPONSES)
SEARCH = 'words in the input or the result, each matching the start of a word (any case); all must match'
WHEN = 'ISO 8601; UTC when it has no zone'
EVENTS = {
    200: {
        'description': '`status` and `delta` events as they happen, then one `execution` event',
        'content': {'text/event-stream': {}},
    }
}


@router.get('', response_model=ExecutionsPublic)
def list_executions(
    core: CoreDep,
    actor: ExecutionsRead,
    deployment: Annotated[str | None, Query(max_length=100, description='a deployment id or name')] = None,
    status: ExecutionStatus | None = None,
    trace_id: Annotated[str | None, Query(alias='traceId', max_length=200)] = None,
    origin: Origin | None = None,
    search: Annotated[str | None, Query(max_length=200, description=SEARCH)] = None,
    created_from: Annotated[datetime | None, Query(alias='from', description=f'created at or after ({WHEN})')] = None,
    created_to: Annotated[datetime | None, Query(alias='to', description=f'created before ({WHEN})')] = None,
    order: Annotated[Literal['asc', 'desc'], Query(description='by creation time')] = 'desc',
    page: PageNumber = 1,
    page_size: PageSize = 20,
):
    """Executions, newest first. `userInput` and `result` are excerpts (200 characters, ending in "…" when cut) and
    `messages` is empty: `GET /executions/{id}` has them whole."""
    found = execution_listing.list_executions(
        core, actor, deployment=deployment, status=status, trace_id=trace_id, origin=origin, search=search,
        created_from=created_from, created_to=created_to, order=order, page=page, page_size=page_size,
    )  # fmt: skip
    return ExecutionsPublic.model_validate(found)


@router.get('/{execution_id}', response_model=ExecutionDetailPublic, responses=NOT_FOUND)
def get_execution(core: CoreDep, actor: ExecutionsRead, execution_id: str):
    """The execution record, with each provider call it made (`attemptTimings`)."""
    return executions.get_execution_detail(core, actor, execution_id)


@router.get('/{execution_id}/events', response_class=StreamingResponse, responses={**EVENTS, **NOT_FOUND})
async def follow_execution(core: CoreDep, actor: ExecutionsRead, execution_id: str):
    """Server-sent events until the execution ends."""
    return await streams.event_stream(core, execution_id, kinds=streams.STATUS_AND_DELTAS, actor=actor)


@router.post('/{execution_id}/cancel', response_model=ExecutionPublic, responses={**NOT_FOUND, **CONFLICT})
def cancel_execution(core: CoreDep, actor: ExecutionsWrite, execution_id: str):
    """Cancel a pending or running execution; 409 once it has finished."""
    return executions.cancel_execution(core, actor, execution_id)
