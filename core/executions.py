"""Executions from a deployment: checked, rendered and stored as a pending snapshot that wakes a worker."""

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core import api_keys
from core.app import Core
from core.engine.attempts import Attempt, read_attempts
from core.engine.cancel import cancel_execution as cancel_in_queue
from core.errors import NotFound
from core.events import Event
from core.idempotency import claim as claim_idempotency_key
from core.options import validate_options
from core.permissions import Actor
from core.rate_limits import RequestQuota, admit
from core.refs import looks_like_uuid
from core.run_request import RunRequest, checked_request
from core.run_target import check_file, find_target, serve
from core.templates import build_messages
from data.db import write_transaction
from data.tables import (
    FINISHED,
    Arm,
    Execution,
    ExecutionStatus,
    Origin,
    Provider,
    new_id,
    utcnow,
)

log = logging.getLogger(__name__)
EXECUTION = Execution.__table__


@dataclass(frozen=True)
class ExecutionView:
    """One run: the snapshot of what ran, its status and its outcome."""

    id: str
    status: ExecutionStatus
    deployment_id: str | None
    deployment_name: str | None
    revision: int | None  # the one that served it (a rollout's candidate's, on its candidate arm)
    rollout_id: str | None
    arm: Arm | None  # stable | candidate, for a run under a rollout
    prompt_id: str | None
    prompt_version: int | None
    provider: Provider
    model: str
    options: dict[str, Any]
    user_input: str
    variables: dict[str, Any] | None
    messages: list[dict[str, Any]]
    result: str | None
    result_valid: bool | None
    result_validation_message: str | None
    error: str | None
    input_tokens: int | None
    output_tokens: int | None
    duration_ms: int | None
    cost_usd: float | None  # from the price table when it finished; None for a model the table does not list
    attempts: int
    trace_id: str | None
    file_id: str | None
    origin: Origin
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class ExecutionDetail(ExecutionView):
    """The execution by id, with each provider call it made (a call in flight when its worker stopped left no record)."""

    attempt_timings: tuple[Attempt, ...] = ()


@dataclass(frozen=True)
class AcceptedRun:
    """A queued run, and where its API key's request quota stands after it (None: no key, a key without a quota, or a
    replay); `replayed`: an earlier request with the same idempotency key queued it; `shows_messages`: the caller may
    read the rendered messages (the prompt) of executions."""

    execution: ExecutionView
    quota: RequestQuota | None
    replayed: bool = False
    shows_messages: bool = True


_VIEW_FIELDS = tuple(field.name for field in fields(ExecutionView))
_WORDS = {'status': ExecutionStatus, 'provider': Provider, 'origin': Origin, 'arm': Arm}


def execution_view(row: Any) -> ExecutionView:
    """The view of an Execution row, a result row of its table, or a mapping of its columns."""
    value = row.__getitem__ if isinstance(row, Mapping) else row.__getattribute__
    values = {name: value(name) for name in _VIEW_FIELDS}
    return ExecutionView(**values | {name: word(values[name]) for name, word in _WORDS.items() if values[name] is not None})


async def run_deployment(
    core: Core,
    actor: Actor,
    ref: str,
    *,
    user_input: str | None = None,
    variables: dict | None = None,
    options: dict | None = None,
    trace_id: str | None = None,
    file_id: str | None = None,
    origin: str = Origin.API,
    execution_id: str | None = None,
) -> ExecutionView:
    """Queue one run of a deployment and wake a worker; the execution comes back pending.

    `user_input` is the caller's text ({{input}}), `variables` the template's other names (at least one of the two).
    `execution_id` (from new_execution_id) lets a follower listen for the execution before it exists.
    """
    run = {'user_input': user_input, 'variables': variables, 'options': options, 'trace_id': trace_id,
           'file_id': file_id, 'origin': origin}  # fmt: skip
    accepted = await asyncio.to_thread(_queue_run, core, actor, ref, run, execution_id or new_id())
    _announce(core, accepted.execution)
    return accepted.execution


async def run_deployment_with_key(
    core: Core,
    token: str,
    ref: str,
    *,
    user_input: str | None = None,
    variables: dict | None = None,
    options: dict | None = None,
    trace_id: str | None = None,
    file_id: str | None = None,
    idempotency_key: str | None = None,
    origin: str = Origin.API,
    execution_id: str | None = None,
) -> AcceptedRun:
    """run_deployment for the holder of an API key (Unauthorized says why a key is refused, Forbidden what it lacks,
    RateLimited which of its limits it is over), with an optional `Idempotency-Key` (core/idempotency.py).

    The key is checked in the same hop to a thread as the insert: the run path is hot, and a hop costs more CPU than
    the key's indexed read. A replay's execution has another id than `execution_id`.
    """
    run = {'user_input': user_input, 'variables': variables, 'options': options, 'trace_id': trace_id,
           'file_id': file_id, 'origin': origin, 'idempotency_key': idempotency_key}  # fmt: skip
    accepted = await asyncio.to_thread(_queue_run_with_key, core, token, ref, run, execution_id or new_id())
    if not accepted.replayed:
        _announce(core, accepted.execution)
    return accepted


def new_execution_id() -> str:
    """An id for an execution about to be queued (so a follower can listen for it first)."""
    return new_id()


def _queue_run_with_key(core: Core, token: str, ref: str, run: dict[str, Any], execution_id: str) -> AcceptedRun:
    actor, use_is_stale = api_keys.verify(core, token)
    accepted = _queue_run(core, actor, ref, run, execution_id)
    if use_is_stale:
        api_keys.record_use(core, actor.id)
    return accepted


def _queue_run(core: Core, actor: Actor, ref: str, run: dict[str, Any], execution_id: str) -> AcceptedRun:
    """Check, render and insert the pending execution (blocking: database, schema validation); call it off the loop.

    `run` holds checked_request's arguments.
    """
    actor.require('deployments:run')
    request = checked_request(**run, ref=ref)
    if request.file_id is not None:
        actor.require('files:read')  # naming a file reads it: without the scope, any file could be attached by id
    shows_messages = actor.can('executions:read')  # the rendered messages hold the prompt
    # Core statements, not the ORM: this runs once per run, and a session's unit of work costs more than the SQL
    with write_transaction(core.db) as connection:
        if request.idempotency is not None and actor.kind == 'api_key':
            earlier = claim_idempotency_key(connection, actor.id, request.idempotency, execution_id, core.clock())
            if earlier is not None:
                replayed = connection.execute(_BY_ID, {'id': earlier}).one()
                return AcceptedRun(execution_view(replayed), None, replayed=True, shows_messages=shows_messages)
        target, arm = serve(connection, find_target(connection, ref), request.trace_id)
        run_options = validate_options(core.registry, target.provider, request.options)
        check_file(connection, core.registry, target, request.file_id)
        messages = build_messages(
            target.template, request.user_input, variables=request.variables, input_schema=target.input_schema
        )
        row = _execution_row(execution_id, actor, target, request, options={**target.options, **run_options}, messages=messages)
        row |= {'rollout_id': target.rollout_id, 'arm': arm}
        quota = admit(connection, actor, core.clock())  # last before the insert: it holds the key's lock until commit
        connection.execute(sa.insert(EXECUTION), row)
    return AcceptedRun(execution_view(row), quota, shows_messages=shows_messages)


def _execution_row(
    execution_id: str, actor: Actor, target: sa.Row, request: RunRequest, *, options: dict, messages: list[dict]
) -> dict[str, Any]:
    """The pending execution: a snapshot of exactly what will run, and who asked."""
    return {column.name: None for column in EXECUTION.c} | {
        'id': execution_id,
        'status': ExecutionStatus.PENDING,
        'deployment_id': target.id,
        'deployment_name': target.name,
        'revision': target.revision,
        'prompt_id': target.prompt_id,
        'prompt_version': target.version,
        'provider': target.provider,
        'model': target.model,
        'options': options,
        'messages': messages,
        'response_schema': target.response_schema,
        'user_input': request.stored_input(),
        'variables': request.variables,
        'trace_id': request.trace_id,
        'file_id': request.file_id,
        'origin': request.origin,
        'api_key_id': actor.id if actor.kind == 'api_key' else None,
        'user_id': actor.id if actor.kind == 'user' else None,
        'attempts': 0,
        'created_at': utcnow(),
    }


def _announce(core: Core, execution: ExecutionView) -> None:
    """Wake the workers (after the commit, so a worker that wakes finds the row); the run is queued either way."""
    data = {'provider': execution.provider, 'deploymentName': execution.deployment_name}
    try:
        core.bus.publish(Event('created', execution.id, data))
    except Exception:  # a worker's slow poll finds the row anyway: an accepted run must not turn into an error
        log.exception('could not announce execution %s; workers find it at their next poll', execution.id)


def get_execution(core: Core, actor: Actor, execution_id: str) -> ExecutionView:
    actor.require('executions:read')
    return read_execution(core, execution_id)


def get_execution_detail(core: Core, actor: Actor, execution_id: str) -> ExecutionDetail:
    """The execution and its recorded attempts, first first."""
    actor.require('executions:read')
    with core.db.connect() as connection:
        row = _row_by_id(connection, execution_id)
        attempts = read_attempts(connection, [execution_id])
    return execution_detail(row, attempts.get(execution_id, ()))


def execution_detail(row: Any, attempts: tuple[Attempt, ...]) -> ExecutionDetail:
    """The detail of an execution row (as execution_view reads it) with its recorded attempts."""
    return ExecutionDetail(**vars(execution_view(row)), attempt_timings=attempts)


def read_execution(core: Core, execution_id: str) -> ExecutionView:
    """The execution by id, for core's own use (no actor: the caller has checked who may see it)."""
    # a plain select, not a session: followers re-read rows often, and the ORM's unit of work costs more
    with core.db.connect() as connection:
        return execution_view(_row_by_id(connection, execution_id))


def _row_by_id(connection: sa.Connection, execution_id: str) -> Any:
    """The execution's row; NotFound for an unknown id (and, without a query, for one that is no id at all)."""
    row = connection.execute(_BY_ID, {'id': execution_id}).one_or_none() if looks_like_uuid(execution_id) else None
    if row is None:
        raise NotFound(f'no execution {execution_id!r}')
    return row


def cancel_execution(core: Core, actor: Actor, execution_id: str) -> ExecutionView:
    """Cancel a pending or running execution; Conflict once it has finished. Its webhooks are queued with the cancel."""
    from core.webhooks.outbox import enqueue_executions  # here: the outbox imports this module

    return execution_view(cancel_in_queue(core, actor, execution_id, on_cancelled=enqueue_executions))


_BY_ID = sa.select(EXECUTION).where(EXECUTION.c.id == sa.bindparam('id'))
