"""Run a deployment by name: queue it (202), or wait for the result, or stream it as it is written."""

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from api import streams
from api.deps import ApiKeyToken, CoreDep
from api.errors import NOT_FOUND, RATE_LIMITED, RESPONSES
from api.rate_limits import quota_headers
from api.schemas.executions import ExecutionPublic, RunAccepted, RunRequest
from core import executions
from core.app import Core
from core.executions import AcceptedRun, ExecutionView
from core.follow import wait_for_execution

log = logging.getLogger(__name__)
router = APIRouter(tags=['runs'], responses=RESPONSES)
DONE = {
    200: {
        'model': ExecutionPublic,
        'description': 'With `wait`: the finished execution. With `stream=true`: `delta` events, then one `execution` event.',
        'content': {'text/event-stream': {}},
    },
}


@router.post(
    '/deployments/{name}/run', status_code=202, response_model=RunAccepted, responses={**DONE, **NOT_FOUND, **RATE_LIMITED}
)
async def run_deployment(
    request: Request,
    core: CoreDep,
    key: ApiKeyToken,
    name: str,
    body: RunRequest,
    wait: Annotated[
        float | None, Query(ge=0, le=120, description='seconds to wait for the result (200) before answering 202')
    ] = None,
    stream: Annotated[bool, Query(description='stream the text as server-sent events')] = False,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias='Idempotency-Key',
            description='1-255 printable characters: a retry with the same key and body gets the same execution (24 h)',
        ),
    ] = None,
):
    """Queue an execution of the deployment's current revision, with per-run options, trace id and file.

    Needs the `deployments:run` scope (checked with the key, in the same step that queues the run). A key with rate
    limits is answered 429 over either; with `requestsPerMinute`, its answers carry `RateLimit-Limit`,
    `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the whole quota is back).

    With `Idempotency-Key`, a request that repeats an earlier one (same key, same body, within 24 h) gets the execution
    that one queued, with `Idempotent-Replayed: true`; the same key with another body is 422 `idempotency_mismatch`.
    The answer's `messages` (the rendered prompt) are left out for a key without `executions:read`.
    """
    execution_id = executions.new_execution_id()
    queue = KeyedQueue(partial(
        executions.run_deployment_with_key, core, key, name,
        user_input=body.user_input, variables=body.variables, options=body.options.as_dict() if body.options else None,
        trace_id=body.trace_id, file_id=str(body.file_id) if body.file_id else None, idempotency_key=idempotency_key,
        execution_id=execution_id,
    ))  # fmt: skip
    if stream:
        response: Response = await streams.event_stream(
            core, execution_id, kinds=streams.DELTAS, queue=queue, hidden=queue.hidden_fields
        )
    else:
        execution = await _waited(core, execution_id, queue, wait) if wait else await queue()
        response = _answer(request, execution, waited=bool(wait), hidden=queue.hidden_fields())
    response.headers.update(quota_headers(queue.accepted.quota if queue.accepted else None))
    if queue.accepted and queue.accepted.replayed:
        response.headers['Idempotent-Replayed'] = 'true'
    return response


class KeyedQueue:
    """Queues the run when called (as core.follow and a wait do), keeping what the key's admission said about it."""

    def __init__(self, run: Callable[[], Awaitable[AcceptedRun]]) -> None:
        self.run = run
        self.accepted: AcceptedRun | None = None

    async def __call__(self) -> ExecutionView:
        self.accepted = await self.run()
        return self.accepted.execution

    def hidden_fields(self) -> frozenset[str]:
        """What the answer leaves out: the rendered messages (the prompt), for a key that may not read executions."""
        return frozenset() if self.accepted is None or self.accepted.shows_messages else HIDDEN_MESSAGES


HIDDEN_MESSAGES = frozenset({'messages'})


def _answer(request: Request, execution: ExecutionView, *, waited: bool, hidden: frozenset[str]) -> Response:
    """200 with the execution waited for and finished, or 202 with where to poll for it (a replay without a wait too)."""
    if waited and execution.finished:
        record = ExecutionPublic.model_validate(execution).model_dump_json(by_alias=True, exclude=set(hidden))
        return Response(record, media_type='application/json')
    accepted = RunAccepted(
        execution_id=execution.id, status=execution.status, deployment=execution.deployment_name, revision=execution.revision
    )
    location = f'{request.scope.get("root_path", "")}/executions/{execution.id}'
    return JSONResponse(accepted.model_dump(mode='json', by_alias=True), status_code=202, headers={'Location': location})


async def _waited(core: Core, execution_id: str, queue: KeyedQueue, wait: float) -> ExecutionView:
    """Queue the run and wait up to `wait` seconds for it to finish; once queued, no error may turn the answer into a
    5xx (a client that retries would run it twice): then it is the execution as queued (202: the client polls)."""
    try:
        return await wait_for_execution(core, execution_id, wait, queue=queue)
    except Exception:
        if queue.accepted is None:
            raise  # refused: the client's mistake (4xx), or nothing was queued
        log.exception('waiting for execution %s failed; answering 202', execution_id)
        return queue.accepted.execution
