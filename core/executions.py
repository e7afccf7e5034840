"""Executions from a deployment: checked, rendered and stored as a pending snapshot that wakes a worker."""

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.deployments import find_deployment
from core.errors import Invalid, NotFound
from core.events import Event
from core.options import validate_options
from core.pagination import Page, paginate
from core.permissions import Actor
from core.prompts import find_version
from core.refs import looks_like_uuid
from core.templates import build_messages
from data.tables import Deployment, Execution, Prompt, StoredFile

STATUSES = ('pending', 'running', 'completed', 'failed', 'cancelled')
ORIGINS = ('ui', 'api')
MAX_TRACE_ID = 200


async def run_deployment(
    core: Core,
    actor: Actor,
    ref: str,
    *,
    user_input: str,
    options: dict | None = None,
    trace_id: str | None = None,
    file_id: str | None = None,
    origin: str = 'api',
) -> Execution:
    """Queue one run of a deployment and wake a worker; the Execution comes back pending."""
    actor.require('deployments:run')
    if not isinstance(user_input, str) or not user_input.strip():
        raise Invalid('userInput', 'must not be empty')
    trace_id = _check_trace_id(trace_id)
    if origin not in ORIGINS:
        raise Invalid('origin', f'must be one of {", ".join(ORIGINS)}')
    if file_id is not None and not isinstance(file_id, str):
        raise Invalid('fileId', 'must be a file id')
    request = {'user_input': user_input, 'options': options, 'trace_id': trace_id, 'file_id': file_id, 'origin': origin}
    # database work in a thread: a writer waiting on a lock must not stall the event loop
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
    statement = sa.select(Execution)
    if deployment:
        column = Execution.deployment_id if looks_like_uuid(deployment) else Execution.deployment_name
        statement = statement.where(column == deployment)
    if status is not None:
        if status not in STATUSES:
            raise Invalid('status', f'must be one of {", ".join(STATUSES)}')
        statement = statement.where(Execution.status == status)
    if trace_id:
        statement = statement.where(Execution.trace_id == trace_id)
    if origin is not None:
        if origin not in ORIGINS:
            raise Invalid('origin', f'must be one of {", ".join(ORIGINS)}')
        statement = statement.where(Execution.origin == origin)
    statement = statement.order_by(Execution.created_at.desc(), Execution.id.desc())
    with core.session() as session:
        return paginate(session, statement, page=page, page_size=page_size)


def _create(core: Core, actor: Actor, ref: str, request: dict[str, Any]) -> Execution:
    with core.session() as session:
        deployment = find_deployment(session, ref)
        prompt = session.get(Prompt, deployment.prompt_id)
        version = find_version(session, deployment.prompt_id, deployment.prompt_version or prompt.latest_version)
        if version is None:  # versions are immutable and a used prompt cannot be deleted: only a damaged database
            raise NotFound(f'deployment {deployment.name!r} points at a prompt version that does not exist')
        run_options = validate_options(core.registry, deployment.provider, request['options'])
        _check_file(session, core, deployment, version.accepts_file, request['file_id'])
        messages = build_messages(version.template, request['user_input'], input_schema=version.input_schema)
        execution = Execution(
            status='pending',
            deployment_id=deployment.id,
            deployment_name=deployment.name,
            revision=deployment.revision,
            prompt_id=deployment.prompt_id,
            prompt_version=version.version,
            provider=deployment.provider,
            model=deployment.model,
            options={**deployment.options, **run_options},
            messages=messages,
            response_schema=version.response_schema,
            user_input=request['user_input'],
            trace_id=request['trace_id'],
            file_id=request['file_id'],
            origin=request['origin'],
            api_key_id=actor.id if actor.kind == 'api_key' else None,
            user_id=actor.id if actor.kind == 'user' else None,
        )
        session.add(execution)
        return execution


def _check_file(session: Session, core: Core, deployment: Deployment, accepts_file: bool, file_id: str | None) -> None:
    if file_id is None:
        if accepts_file:
            raise Invalid('fileId', f'deployment {deployment.name!r} needs a file: upload one and pass its id')
        return
    if not accepts_file:
        raise Invalid('fileId', f'deployment {deployment.name!r} does not accept a file')
    stored = session.get(StoredFile, file_id) if looks_like_uuid(file_id) else None
    if stored is None:
        raise Invalid('fileId', f'no file {file_id!r}')
    content_type = stored.content_type.split(';')[0].strip().lower()
    if content_type not in core.registry.file_types(deployment.provider):
        raise Invalid('fileId', f'{deployment.provider} does not accept {content_type} files')


def _check_trace_id(trace_id: Any) -> str | None:
    if trace_id is None or trace_id == '':
        return None
    if not isinstance(trace_id, str):
        raise Invalid('traceId', 'must be a string')
    if len(trace_id) > MAX_TRACE_ID:
        raise Invalid('traceId', f'must be at most {MAX_TRACE_ID} characters')
    return trace_id
