"""Run a deployment by name: queue it (202), or wait for the result, or stream it as it is written."""

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api import streams
from api.deps import CoreDep, DeploymentsRun
from api.errors import NOT_FOUND, RESPONSES
from api.schemas.executions import ExecutionPublic, RunAccepted, RunRequest
from core import executions
from core.app import Core
from core.executions import ExecutionView
from core.follow import wait_for_execution
from core.vocabulary import Origin

log = logging.getLogger(__name__)
router = APIRouter(tags=['runs'], responses=RESPONSES)
DONE = {
    200: {
        'model': ExecutionPublic,
        'description': 'With `wait`: the finished execution. With `stream=true`: `delta` events, then one `execution` event.',
        'content': {'text/event-stream': {}},
    },
}


@router.post('/deployments/{name}/run', status_code=202, response_model=RunAccepted, responses={**DONE, **NOT_FOUND})
async def run_deployment(
    request: Request,
    core: CoreDep,
    actor: DeploymentsRun,
    name: str,
    body: RunRequest,
    wait: Annotated[
        float | None, Query(ge=0, le=120, description='seconds to wait for the result (200) before answering 202')
    ] = None,
    stream: Annotated[bool, Query(description='stream the text as server-sent events')] = False,
):
    """Queue an execution of the deployment's current revision, with per-run options, trace id and file."""
    execution = await executions.run_deployment(
        core, actor, name,
        user_input=body.user_input, options=body.options.as_dict() if body.options else None,
        trace_id=body.trace_id, file_id=str(body.file_id) if body.file_id else None, origin=Origin.API,
    )  # fmt: skip
    # queued: from here on nothing may turn the answer into an error (a client that retries would run it twice)
    if stream:
        return await streams.event_stream(core, actor, execution.id, kinds=streams.DELTAS, known=execution)
    if wait:
        execution = await _waited(core, execution, wait)
        if execution.finished:
            return Response(
                ExecutionPublic.model_validate(execution).model_dump_json(by_alias=True), media_type='application/json'
            )
    accepted = RunAccepted(
        execution_id=execution.id, status=execution.status, deployment=execution.deployment_name, revision=execution.revision
    )
    location = f'{request.scope.get("root_path", "")}/executions/{execution.id}'
    return JSONResponse(accepted.model_dump(mode='json', by_alias=True), status_code=202, headers={'Location': location})


async def _waited(core: Core, execution: ExecutionView, wait: float) -> ExecutionView:
    """The execution once finished within `wait` seconds, else as it was queued (202: the client polls for it)."""
    try:
        return await wait_for_execution(core, execution.id, wait, known=execution)
    except Exception:
        log.exception('waiting for execution %s failed; answering 202', execution.id)
        return execution
