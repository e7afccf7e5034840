"""Runs asked for as OpenAI chat completions: the deployments a key may call by name, and how a chat becomes a run.

How a chat maps to a run (the README's "OpenAI-compatible endpoint" says the same to callers):
- `model` is the deployment's name;
- the last `user` message is the run's `userInput` (`{{input}}`); a content list's text parts are joined by newlines;
- a `variables` object beside the messages (the SDK's `extra_body`) fills the template's other variables, and a
  `traceId` there is the run's trace id;
- earlier messages (system, assistant, older user turns) are not sent: the deployment's prompt holds the instructions;
- `temperature`, `top_p` and `max_tokens` (or `max_completion_tokens`) override the deployment's options for this call.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.app import Core
from core.errors import Invalid, NotFound
from core.executions import AcceptedRun, run_deployment_with_key
from core.permissions import Actor
from data.tables import Deployment, Origin

# the run's fields as the chat request names them, for errors that must point at what the caller sent
_REQUEST_FIELDS = {
    'userInput': 'messages',
    'options.temperature': 'temperature',
    'options.topP': 'top_p',
    'options.maxTokens': 'max_tokens',
}


@dataclass(frozen=True)
class ChatRun:
    """What one chat completion runs: the caller's text, the template's variables and the options for this call."""

    user_input: str | None
    variables: dict[str, Any] | None
    options: dict[str, float] | None


@dataclass(frozen=True)
class RunnableDeployment:
    name: str
    created_at: datetime


def chat_run(
    *, messages: Any, variables: Any = None, temperature: Any = None, top_p: Any = None, max_tokens: Any = None
) -> ChatRun:
    """The run a chat asks for; Invalid names the request's field (`messages`, `variables`) when it asks for none."""
    if not isinstance(messages, list):
        raise Invalid('messages', 'must be a list of messages')
    if variables is not None and not isinstance(variables, dict):
        raise Invalid('variables', 'must be an object of template variables')
    user_input = _last_user_text(messages)
    if user_input is None and not variables:
        raise Invalid('messages', "needs a user message (its text is the run's input), or send `variables`")
    given = (('temperature', temperature), ('topP', top_p), ('maxTokens', max_tokens))
    options = {name: value for name, value in given if value is not None}
    return ChatRun(user_input, variables or None, options or None)


def request_field(run_field: str) -> str:
    """The chat request's field to blame for an invalid field of the run (`userInput` is the `messages`' text)."""
    return _REQUEST_FIELDS.get(run_field, run_field)


async def run_chat(
    core: Core,
    token: str,
    model: str,
    chat: ChatRun,
    *,
    execution_id: str,
    trace_id: str | None = None,
    idempotency_key: str | None = None,
) -> AcceptedRun:
    """Queue the chat as a run of deployment `model` for the holder of `token`, with origin `openai`."""
    return await run_deployment_with_key(
        core, token, model, user_input=chat.user_input, variables=chat.variables, options=chat.options,
        trace_id=trace_id, idempotency_key=idempotency_key, execution_id=execution_id, origin=Origin.OPENAI,
    )  # fmt: skip


def runnable_deployments(core: Core, actor: Actor) -> list[RunnableDeployment]:
    """Every deployment, by name: the `model`s that a key with `deployments:run` may call."""
    actor.require('deployments:run')
    with core.db.connect() as connection:
        rows = connection.execute(sa.select(Deployment.name, Deployment.created_at).order_by(Deployment.name))
        return [RunnableDeployment(row.name, row.created_at) for row in rows]


def runnable_deployment(core: Core, actor: Actor, name: str) -> RunnableDeployment:
    """One of runnable_deployments, by name; NotFound otherwise."""
    actor.require('deployments:run')
    with core.db.connect() as connection:
        row = connection.execute(_BY_NAME, {'name': name}).one_or_none()
    if row is None:
        raise NotFound(f'no deployment {name!r}')
    return RunnableDeployment(row.name, row.created_at)


_BY_NAME = sa.select(Deployment.name, Deployment.created_at).where(Deployment.name == sa.bindparam('name'))


def _last_user_text(messages: list) -> str | None:
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, dict) and message.get('role') == 'user':
            return _text(message.get('content'), f'messages[{index}].content')
    return None


def _text(content: Any, field: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get('text') if isinstance(part, dict) and part.get('type') == 'text' else None for part in content]
        if None not in parts:
            return '\n'.join(parts)
    raise Invalid(field, 'must be text, or a list of text parts (images and other parts are not supported)')
