"""A finished execution as OpenAI's `chat.completion` and `chat.completion.chunk` objects."""

import calendar
import json
from datetime import datetime
from typing import Any

from core.executions import ExecutionView
from core.vocabulary import ExecutionStatus


def completion(execution: ExecutionView) -> dict[str, Any]:
    """The `chat.completion` of a completed execution: its result as the one choice, its tokens as the usage."""
    message = {'role': 'assistant', 'content': execution.result, 'refusal': None}
    choice = {'index': 0, 'message': message, 'logprobs': None, 'finish_reason': 'stop'}
    return {
        **envelope(execution.id, 'chat.completion', execution.created_at, execution.deployment_name or ''),
        'choices': [choice],
        'usage': usage(execution),
    }


def envelope(execution_id: str, kind: str, created: datetime, model: str) -> dict[str, Any]:
    """The fields every completion and chunk has: the id names the execution, the model the deployment."""
    return {
        'id': f'chatcmpl-{execution_id}',
        'object': kind,
        'created': calendar.timegm(created.utctimetuple()),
        'model': model,
        'system_fingerprint': None,
    }


def usage(execution: ExecutionView) -> dict[str, int]:
    prompt, completion_tokens = execution.input_tokens or 0, execution.output_tokens or 0
    return {'prompt_tokens': prompt, 'completion_tokens': completion_tokens, 'total_tokens': prompt + completion_tokens}


def failure(execution: ExecutionView) -> dict:
    """Why a finished execution has no completion to give, as an OpenAI error object."""
    if execution.status == ExecutionStatus.COMPLETED:
        message, code = 'the provider was retried and its new answer does not continue the text already streamed', 'retried'
    elif execution.status == ExecutionStatus.CANCELLED:
        message, code = 'the execution was cancelled', 'cancelled'
    else:
        message, code = f'the run failed: {execution.error or "no reason given"}', 'provider_error'
    return {'message': f'{message} (execution {execution.id})', 'type': 'server_error', 'param': None, 'code': code}


class Chunks:
    """The `chat.completion.chunk` events of one streamed completion, as server-sent event bytes."""

    def __init__(self, execution_id: str, created: datetime, model: str, *, include_usage: bool) -> None:
        self.base = envelope(execution_id, 'chat.completion.chunk', created, model)
        if include_usage:  # as OpenAI does: every chunk says `usage: null`, and one last chunk has it
            self.base['usage'] = None

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {'index': 0, 'delta': delta, 'logprobs': None, 'finish_reason': finish_reason}
        return data({**self.base, 'choices': [choice]})

    def usage(self, execution: ExecutionView) -> bytes:
        return data({**self.base, 'choices': [], 'usage': usage(execution)})


def data(value: Any) -> bytes:
    return f'data: {json.dumps(value, separators=(",", ":"), ensure_ascii=False)}\n\n'.encode()


DONE = b'data: [DONE]\n\n'
