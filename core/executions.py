"""Executions from a deployment: checked, rendered and stored as a pending snapshot that wakes a worker."""

import asyncio
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from core.app import Core
from core.errors import Invalid, NotFound
from core.events import Event
from core.options import validate_options
from core.pagination import Page, paginate
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.templates import build_messages
from core.text import reject_nul
from data.db import is_sqlite
from data.tables import Deployment, Execution, ExecutionStatus, Origin, Prompt, PromptVersion, StoredFile, new_id, utcnow

MAX_TRACE_ID = 200
EXECUTION = Execution.__table__


async def run_deployment(
    core: Core,
    actor: Actor,
    ref: str,
    *,
    user_input: str,
    options: dict | None = None,
    trace_id: str | None = None,
    file_id: str | None = None,
    origin: str = Origin.API,
) -> Execution:
    """Queue one run of a deployment and wake a worker; the Execution comes back pending."""
    actor.require('deployments:run')
    if not isinstance(user_input, str) or not user_input.strip():
        raise Invalid('userInput', 'must not be empty')
    reject_nul(userInput=user_input, traceId=trace_id, fileId=file_id)
    trace_id = _check_trace_id(trace_id)
    _check_choice('origin', origin, Origin)
    if file_id is not None and not isinstance(file_id, str):
        raise Invalid('fileId', 'must be a file id')
    request = {'user_input': user_input, 'options': options, 'trace_id': trace_id, 'file_id': file_id, 'origin': origin}
    if is_sqlite(core.db):
        # SQLite statements take tens of microseconds: under load a hop to a thread costs more (waiting for the GIL)
        execution = _create(core, actor, ref, request)
    else:  # PostgreSQL waits on the network, and a writer may wait on a lock: not on the event loop
        execution = await asyncio.to_thread(_create, core, actor, ref, request)
    # after the commit, so a worker that wakes finds the row
    data = {'provider': execution.provider, 'deploymentName': execution.deployment_name}
    core.bus.publish(Event('created', execution.id, data))
    return execution


def get_execution(core: Core, actor: Actor, execution_id: str) -> Execution:
    actor.require('executions:read')
    with core.session() as session:
        execution = session.get(Execution, execution_id) if looks_like_uuid(execution_id) else None
        if execution is None:
            raise NotFound(f'no execution {execution_id!r}')
        return execution


def list_executions(
    core: Core,
    actor: Actor,
    *,
    deployment: str | None = None,
    status: str | None = None,
    trace_id: str | None = None,
    origin: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[Execution]:
    """Newest first; `deployment` is a deployment id or name (deleted deployments' executions match too)."""
    actor.require('executions:read')
    reject_nul(deployment=deployment, traceId=trace_id)
    statement = sa.select(Execution)
    if deployment:
        column = Execution.deployment_id if looks_like_uuid(deployment) else Execution.deployment_name
        statement = statement.where(column == deployment)
    if status is not None:
        _check_choice('status', status, ExecutionStatus)
        statement = statement.where(Execution.status == status)
    if trace_id:
        statement = statement.where(Execution.trace_id == trace_id)
    if origin is not None:
        _check_choice('origin', origin, Origin)
        statement = statement.where(Execution.origin == origin)
    statement = statement.order_by(Execution.created_at.desc(), Execution.id.desc())
    with core.session() as session:
        return paginate(session, statement, page=page, page_size=page_size)


def _create(core: Core, actor: Actor, ref: str, request: dict[str, Any]) -> Execution:
    # Core statements, not the ORM: this runs once per run, and a session's unit of work costs more than the SQL
    with core.db.begin() as connection:
        target = connection.execute(_RUN_TARGET[looks_like_uuid(ref)], {'ref': ref}).one_or_none()
        if target is None:
            raise NotFound(f'no deployment {ref!r}')
        if target.version is None:  # versions are immutable and a used prompt cannot be deleted: only a damaged database
            raise NotFound(f'deployment {target.name!r} points at a prompt version that does not exist')
        run_options = validate_options(core.registry, target.provider, request['options'])
        _check_file(connection, core, target, request['file_id'])
        messages = build_messages(target.template, request['user_input'], input_schema=target.input_schema)
        row = {column.name: None for column in EXECUTION.c} | {
            'id': new_id(),
            'status': ExecutionStatus.PENDING,
            'deployment_id': target.id,
            'deployment_name': target.name,
            'revision': target.revision,
            'prompt_id': target.prompt_id,
            'prompt_version': target.version,
            'provider': target.provider,
            'model': target.model,
            'options': {**target.options, **run_options},
            'messages': messages,
            'response_schema': target.response_schema,
            'user_input': request['user_input'],
            'trace_id': request['trace_id'],
            'file_id': request['file_id'],
            'origin': request['origin'],
            'api_key_id': actor.id if actor.kind == 'api_key' else None,
            'user_id': actor.id if actor.kind == 'user' else None,
            'attempts': 0,
            'created_at': utcnow(),
        }
        connection.execute(sa.insert(EXECUTION), row)
    return Execution.model_construct(**row)


def _run_target(by_id: bool) -> sa.Select:
    """The deployment (by id or by name) with the prompt version it runs: its own, or else the prompt's latest."""
    deployment, prompt, version = Deployment.__table__, Prompt.__table__, PromptVersion.__table__
    runs_version = sa.func.coalesce(deployment.c.prompt_version, prompt.c.latest_version)
    column = deployment.c.id if by_id else deployment.c.name
    columns = (
        deployment.c.id, deployment.c.name, deployment.c.revision, deployment.c.prompt_id, deployment.c.provider,
        deployment.c.model, deployment.c.options, version.c.version, version.c.template, version.c.input_schema,
        version.c.response_schema, version.c.accepts_file,
    )  # fmt: skip
    return (
        sa.select(*columns)
        .select_from(deployment)
        .outerjoin(prompt, prompt.c.id == deployment.c.prompt_id)
        .outerjoin(version, (version.c.prompt_id == deployment.c.prompt_id) & (version.c.version == runs_version))
        .where(column == sa.bindparam('ref'))
    )


_RUN_TARGET = {by_id: _run_target(by_id) for by_id in (False, True)}  # built once: statements are cached by shape


def _check_file(connection: sa.Connection, core: Core, target: sa.Row, file_id: str | None) -> None:
    if file_id is None:
        if target.accepts_file:
            raise Invalid('fileId', f'deployment {target.name!r} needs a file: upload one and pass its id')
        return
    if not target.accepts_file:
        raise Invalid('fileId', f'deployment {target.name!r} does not accept a file')
    files = StoredFile.__table__
    found = sa.select(files.c.content_type).where(files.c.id == file_id)
    content_type = connection.execute(found).scalar_one_or_none() if looks_like_uuid(file_id) else None
    if content_type is None:
        raise Invalid('fileId', f'no file {file_id!r}')
    content_type = content_type.split(';')[0].strip().lower()
    if content_type not in core.registry.file_types(target.provider):
        raise Invalid('fileId', f'{target.provider} does not accept {content_type} files')


def _check_choice(field: str, value: Any, choices: type[StrEnum]) -> None:
    if value not in set(choices):
        raise Invalid(field, f'must be one of {", ".join(choices)}')


def _check_trace_id(trace_id: Any) -> str | None:
    if trace_id is None or trace_id == '':
        return None
    if not isinstance(trace_id, str):
        raise Invalid('traceId', 'must be a string')
    if len(trace_id) > MAX_TRACE_ID:
        raise Invalid('traceId', f'must be at most {MAX_TRACE_ID} characters')
    return trace_id
