"""GET /models and POST /chat/completions, as OpenAI's API has them: deployments are the models."""

import logging
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response

from api import errors
from api.deps import ApiKeyToken, CoreDep, DeploymentsRun
from api.openai_compat.completions import completion, failure
from api.openai_compat.errors import DO_NOT_RETRY, openai_error
from api.openai_compat.schemas import ChatCompletionRequest
from api.openai_compat.stream import completion_stream
from api.rate_limits import quota_headers
from api.routes.runs import KeyedQueue
from core import chat_completions
from core.app import Core
from core.executions import ExecutionView, new_execution_id
from core.follow import wait_for_execution
from core.vocabulary import ExecutionStatus

log = logging.getLogger(__name__)
router = APIRouter(tags=['openai'])
# a completion is answered when its execution ends; the OpenAI SDKs' own timeout is 600 s
WAIT_SECONDS = 600.0


@router.get('/models')
def list_models(core: CoreDep, actor: DeploymentsRun):
    """The deployments this key may run (it needs `deployments:run`), as OpenAI `model` objects: id = name."""
    return {'object': 'list', 'data': [_model(deployment) for deployment in chat_completions.runnable_deployments(core, actor)]}


@router.get('/models/{model}')
def retrieve_model(core: CoreDep, actor: DeploymentsRun, model: str):
    """One deployment as an OpenAI `model` object; 404 `model_not_found` when there is none by that name."""
    return _model(chat_completions.runnable_deployment(core, actor, model))


@router.post(errors.CHAT_PATH)
async def create_chat_completion(
    request: Request,
    core: CoreDep,
    token: ApiKeyToken,
    body: ChatCompletionRequest,
    idempotency_key: Annotated[
        str | None, Header(alias='Idempotency-Key', description='as for runs: a retry gets the same execution (24 h)')
    ] = None,
) -> Response:
    """Run deployment `model` with the last user message as its input (and `variables`, when sent): a
    `chat.completion` once it has finished, or with `stream: true` its `chat.completion.chunk` events as it is written.
    Each call is an execution with origin `openai`; `chatcmpl-<executionId>` names it. With `Idempotency-Key`, a
    repeated call answers with the execution the first one queued (`Idempotent-Replayed: true`)."""
    request.state.run_target = body.model  # a refusal from here on is logged for this deployment (api/errors.py)
    chat = chat_completions.chat_run(
        messages=[message.model_dump() for message in body.messages], variables=body.variables,
        temperature=body.temperature, top_p=body.top_p,
        max_tokens=body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens,
    )  # fmt: skip
    execution_id = new_execution_id()
    queue = KeyedQueue(partial(
        chat_completions.run_chat, core, token, body.model, chat, execution_id=execution_id, trace_id=body.trace_id,
        idempotency_key=idempotency_key,
    ))  # fmt: skip
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        response = await completion_stream(core, execution_id, queue, model=body.model, include_usage=include_usage)
    else:
        response = _answer(await _waited(core, execution_id, queue))
    response.headers.update(quota_headers(queue.accepted.quota if queue.accepted else None))
    if queue.accepted and queue.accepted.replayed:
        response.headers['Idempotent-Replayed'] = 'true'
    return response


async def _waited(core: Core, execution_id: str, queue: KeyedQueue) -> ExecutionView | None:
    """The execution once finished; None when waiting failed after it was queued (then no error may look retryable:
    an SDK that retried would run it twice)."""
    try:
        return await wait_for_execution(core, execution_id, WAIT_SECONDS, queue=queue)
    except Exception:
        if queue.accepted is None:
            raise  # refused: the caller's mistake, or nothing was queued
        log.exception('waiting for execution %s failed', execution_id)
        return None


def _model(deployment: chat_completions.RunnableDeployment) -> dict:
    return {'id': deployment.name, 'object': 'model', 'created': int(deployment.created_at.timestamp()), 'owned_by': 'hypersigil'}


def _answer(execution: ExecutionView | None) -> Response:
    if execution is None or not execution.finished:
        which = f' (execution {execution.id})' if execution else ''
        return openai_error(504, f'the run has not finished in time{which}', code='timeout', headers=DO_NOT_RETRY)
    if execution.status != ExecutionStatus.COMPLETED:
        error = failure(execution)
        return openai_error(502, error['message'], code=error['code'], headers=DO_NOT_RETRY)
    return JSONResponse(completion(execution))
