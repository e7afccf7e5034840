"""Deployments: a named, immutable slug bound to a prompt version, a provider, a model and options, with revisions."""

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.errors import Conflict, Invalid, NotFound
from core.options import validate_options
from core.pagination import Page, like_pattern, paginate
from core.permissions import Actor
from core.providers.base import ProviderError
from core.refs import find_by_ref, looks_like_uuid
from core.text import reject_nul
from data.tables import ACTIVE_ROLLOUT, Deployment, DeploymentRevision, Prompt, PromptVersion, Provider, Rollout, utcnow

NAME_PATTERN = re.compile(r'[a-z0-9_-]+')
ORDER_COLUMNS = {
    'name': Deployment.name,
    'provider': Deployment.provider,
    'model': Deployment.model,
    'createdAt': Deployment.created_at,
    'updatedAt': Deployment.updated_at,
}
# the configuration a revision records, as (attribute, camelCase field) pairs
CONFIG_FIELDS = (
    ('prompt_id', 'promptId'),
    ('prompt_version', 'promptVersion'),
    ('provider', 'provider'),
    ('model', 'model'),
    ('options', 'options'),
)
CHANGEABLE = tuple(attribute for attribute, _ in CONFIG_FIELDS)


@dataclass(frozen=True)
class DeploymentView:
    """A deployment at its current revision."""

    id: str
    name: str
    prompt_id: str
    prompt_version: int | None
    provider: Provider
    model: str
    options: dict[str, Any]
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RevisionView:
    """One saved configuration of a deployment: promptId, promptVersion, provider, model, options (camelCase)."""

    revision: int
    config: dict[str, Any]
    created_by: str | None
    created_at: datetime


async def create_deployment(
    core: Core,
    actor: Actor,
    *,
    name: str,
    prompt_id: str,
    prompt_version: int | None = None,
    provider: str,
    model: str,
    options: dict | None = None,
) -> DeploymentView:
    actor.require('deployments:write')
    name = check_name(name)
    config = {'prompt_id': prompt_id, 'prompt_version': prompt_version, 'provider': provider, 'model': model, 'options': options}
    config = await check_config(core, config, check_model=True)
    # database work in a thread: a writer waiting on a lock must not stall the event loop
    return _view(await asyncio.to_thread(_insert, core, actor, name, config))


async def update_deployment(core: Core, actor: Actor, ref: str, *, changes: dict) -> DeploymentView:
    """Change any field but the name; a real change writes a new revision, an unchanged config writes nothing."""
    actor.require('deployments:write')
    current = await asyncio.to_thread(load, core, ref)
    config = await changed_config(core, current, changes)
    return _view(await asyncio.to_thread(_save_revision, core, actor, current, config, always=False))


async def changed_config(core: Core, current: Deployment, changes: dict, *, field_prefix: str = '') -> dict:
    """The deployment's configuration with `changes` applied (snake_case keys), checked as a PATCH checks it.

    `field_prefix` goes before the field an Invalid names ('changes.' for a rollout's candidate)."""
    for key in changes:
        if key not in CHANGEABLE and key != 'name':  # a name that differs is refused below, as immutable
            raise Invalid(field_prefix + _camel(key), 'cannot be changed')
    if 'name' in changes and changes['name'] != current.name:
        raise Invalid(field_prefix + 'name', 'name is immutable')
    config = {**config_of(current), **{key: value for key, value in changes.items() if key != 'name'}}
    try:
        return await check_config(core, config, check_model=_model_changed(current, config))
    except Invalid as error:
        if not field_prefix:
            raise
        raise Invalid(field_prefix + error.field, error.detail) from None


async def rollback_deployment(core: Core, actor: Actor, ref: str, *, revision: int) -> DeploymentView:
    """Make an earlier revision's config current again, as a new revision (history is never rewritten)."""
    actor.require('deployments:write')
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise Invalid('revision', 'must be a revision number')
    current, earlier = await asyncio.to_thread(_load_with_revision, core, ref, revision)
    config = {attribute: earlier.config.get(field) for attribute, field in CONFIG_FIELDS}
    config = await check_config(core, config, check_model=_model_changed(current, config))
    return _view(await asyncio.to_thread(_save_revision, core, actor, current, config, always=True))


def get_deployment(core: Core, actor: Actor, ref: str) -> DeploymentView:
    actor.require('deployments:read')
    with core.session() as session:
        return _view(find_deployment(session, ref))


def delete_deployment(core: Core, actor: Actor, ref: str) -> None:
    """Delete a deployment and its revisions; its executions stay readable (they hold a snapshot, no foreign key)."""
    actor.require('deployments:write')
    with core.session() as session:
        deployment = find_deployment(session, ref)
        session.exec(sa.delete(Deployment).where(Deployment.id == deployment.id))


def list_deployments(
    core: Core,
    actor: Actor,
    *,
    search: str | None = None,
    order_by: str = 'name',
    order: str = 'asc',
    page: int = 1,
    page_size: int = 20,
) -> Page[DeploymentView]:
    """Search (name, model, provider; any case), sort and page in SQL."""
    actor.require('deployments:read')
    if order_by not in ORDER_COLUMNS:
        raise Invalid('orderBy', f'must be one of {", ".join(ORDER_COLUMNS)}')
    if order not in ('asc', 'desc'):
        raise Invalid('order', 'must be asc or desc')
    statement = sa.select(Deployment)
    if search:
        pattern = like_pattern(search)
        columns = (Deployment.name, Deployment.model, Deployment.provider)
        statement = statement.where(sa.or_(*(sa.func.lower(column).like(pattern, escape='\\') for column in columns)))
    direction = sa.desc if order == 'desc' else sa.asc
    # id breaks ties so that paging never repeats or skips a row
    statement = statement.order_by(direction(ORDER_COLUMNS[order_by]), direction(Deployment.id))
    with core.session() as session:
        found = paginate(session, statement, page=page, page_size=page_size)
    return Page([_view(row) for row in found.items], found.total, found.page, found.page_size)


def list_revisions(core: Core, actor: Actor, ref: str) -> list[RevisionView]:
    """A deployment's history, newest first."""
    actor.require('deployments:read')
    with core.session() as session:
        deployment = find_deployment(session, ref)
        statement = (
            sa.select(DeploymentRevision)
            .where(DeploymentRevision.deployment_id == deployment.id)
            .order_by(DeploymentRevision.revision.desc())
        )
        return [RevisionView(r.revision, r.config, r.created_by, r.created_at) for r in session.exec(statement).scalars()]


def find_deployment(session: Session, ref: str) -> Deployment:
    """A deployment by id or by name (names are never UUID-shaped, so the two cannot clash)."""
    return find_by_ref(session, Deployment, ref, 'deployment')


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise Invalid('name', 'must not be empty')
    if len(name) > 100:
        raise Invalid('name', 'must be at most 100 characters')
    if not NAME_PATTERN.fullmatch(name):
        raise Invalid('name', 'may contain only lowercase letters, digits, "-" and "_"')
    if looks_like_uuid(name):
        raise Invalid('name', 'must not look like a UUID (a UUID refers to a deployment by id)')
    return name


async def check_config(core: Core, config: dict, *, check_model: bool) -> dict:
    """Every check that needs no database: provider, options, version number, and the model the provider lists."""
    provider, model = config['provider'], config['model']
    if provider not in core.registry.names:
        raise Invalid('provider', f'unknown provider {provider!r} (use {", ".join(core.registry.names)})')
    if not isinstance(config['prompt_id'], str) or not config['prompt_id']:
        raise Invalid('promptId', 'must be a prompt id')
    reject_nul(promptId=config['prompt_id'])
    version = config['prompt_version']
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise Invalid('promptVersion', 'must be a version number, or null for the latest')
    options = validate_options(core.registry, provider, config['options'])
    if not isinstance(model, str) or not model or len(model) > 200:
        raise Invalid('model', 'must be a model name')
    if check_model:
        await _check_model(core, provider, model)
    return {**config, 'options': options}


async def _check_model(core: Core, provider: str, model: str) -> None:
    try:
        models = await core.registry.models(provider)
    except ProviderError as error:
        raise Invalid('model', f'could not list models for {provider}: {error.message}') from None
    if model not in models:
        raise Invalid('model', f'{provider} does not list a model {model!r}')


def check_prompt(connection: sa.Connection | Session, config: dict, *, field_prefix: str = '') -> None:
    """The prompt (and pinned version) a configuration names exist; Invalid naming the field otherwise."""
    prompts = Prompt.__table__
    name = connection.execute(sa.select(prompts.c.name).where(prompts.c.id == config['prompt_id'])).scalar_one_or_none()
    if name is None:
        raise Invalid(field_prefix + 'promptId', f'no prompt with id {config["prompt_id"]!r}')
    version = config['prompt_version']
    versions = PromptVersion.__table__
    found = sa.select(versions.c.id).where(versions.c.prompt_id == config['prompt_id'], versions.c.version == version)
    if version is not None and connection.execute(found).first() is None:
        raise Invalid(field_prefix + 'promptVersion', f'prompt {name!r} has no version {version}')


def next_revision_number(connection: sa.Connection | Session, deployment_id: str) -> int:
    """One past the highest revision written: a rollout's candidate may sit above the current one."""
    revisions = DeploymentRevision.__table__
    highest = sa.select(sa.func.max(revisions.c.revision)).where(revisions.c.deployment_id == deployment_id)
    return (connection.execute(highest).scalar() or 0) + 1


def revision_config(config: dict) -> dict:
    """A configuration as a revision records it (camelCase fields)."""
    return {field: config[attribute] for attribute, field in CONFIG_FIELDS}


def refuse_during_rollout(connection: sa.Connection | Session, deployment: Deployment) -> None:
    """Edits and rollbacks wait while a rollout runs: its stable arm is the current revision, and must stay it."""
    rollouts = Rollout.__table__
    active = sa.select(rollouts.c.id).where(rollouts.c.deployment_id == deployment.id, rollouts.c.status.in_(ACTIVE_ROLLOUT))
    if connection.execute(active).first() is not None:
        raise Conflict(f'deployment {deployment.name!r} has a rollout under way; promote or abort it first')


def _insert(core: Core, actor: Actor, name: str, config: dict) -> Deployment:
    with core.session() as session:
        check_prompt(session, config)
        deployment = Deployment(name=name, revision=1, created_by=actor.name, **config)
        session.add(deployment)
        session.add(_revision(deployment.id, 1, config, actor))
        try:
            session.flush()
        except sa.exc.IntegrityError:
            session.rollback()
            raise _explain_failed_insert(session, name) from None
        return deployment


def _explain_failed_insert(session: Session, name: str) -> Exception:
    """The unique name (two creates raced) or the prompt's foreign key (the prompt went away meanwhile)."""
    if session.exec(sa.select(Deployment.id).where(Deployment.name == name)).first() is not None:
        return Conflict(f'a deployment named {name!r} already exists')
    return Invalid('promptId', 'the prompt was deleted while saving')


def _save_revision(core: Core, actor: Actor, current: Deployment, config: dict, *, always: bool) -> Deployment:
    with core.session() as session:
        check_prompt(session, config)
        if not always and config == config_of(current):
            return current
        return write_revision(session, actor, current, config)


def write_revision(session: Session, actor: Actor, current: Deployment, config: dict) -> Deployment:
    """Make `config` (checked) the deployment's next revision, in the caller's transaction (Conflict during a rollout).

    Fenced on the revision `current` holds: a concurrent edit makes this one fail rather than silently undo it.
    """
    refuse_during_rollout(session, current)
    number = next_revision_number(session, current.id)
    statement = (
        sa.update(Deployment)
        .where(Deployment.id == current.id, Deployment.revision == current.revision)
        .values(**config, revision=number, updated_at=utcnow())
        .returning(Deployment.revision)
    )
    if session.exec(statement).scalar_one_or_none() is None:
        raise Conflict(f'deployment {current.name!r} changed or was deleted while saving; reload it and try again')
    session.add(_revision(current.id, number, config, actor))
    session.flush()
    return session.get(Deployment, current.id)


def _revision(deployment_id: str, number: int, config: dict, actor: Actor) -> DeploymentRevision:
    return DeploymentRevision(deployment_id=deployment_id, revision=number, config=revision_config(config), created_by=actor.name)


def load(core: Core, ref: str) -> Deployment:
    """The deployment row by id or name (blocking: call it off the loop)."""
    with core.session() as session:
        return find_deployment(session, ref)


def _load_with_revision(core: Core, ref: str, revision: int) -> tuple[Deployment, DeploymentRevision]:
    with core.session() as session:
        deployment = find_deployment(session, ref)
        statement = sa.select(DeploymentRevision).where(
            DeploymentRevision.deployment_id == deployment.id, DeploymentRevision.revision == revision
        )
        found = session.exec(statement).scalar_one_or_none()
        if found is None:
            raise NotFound(f'deployment {deployment.name!r} has no revision {revision}')
        return deployment, found


def _view(row: Deployment) -> DeploymentView:
    return DeploymentView(
        id=row.id,
        name=row.name,
        prompt_id=row.prompt_id,
        prompt_version=row.prompt_version,
        provider=Provider(row.provider),
        model=row.model,
        options=row.options,
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def config_of(deployment: Deployment) -> dict:
    """The configuration a revision records, snake_case."""
    return {attribute: getattr(deployment, attribute) for attribute, _ in CONFIG_FIELDS}


def _model_changed(current: Deployment, config: dict) -> bool:
    # the model list is checked when provider or model change, so editing options works while a provider is down
    return (config['provider'], config['model']) != (current.provider, current.model)


def _camel(key: str) -> str:
    head, *rest = key.split('_')
    return head + ''.join(part.title() for part in rest)
