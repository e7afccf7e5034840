"""Rollouts for the faces (api/, ui/): start one, read them, and a person's promote, pause, resume or abort.

Entry points, each re-checking the actor's permission:
- `start_rollout(core, actor, ref, changes=..., settings=...)` (async: it may ask the provider for its models)
- `list_rollouts`, `current_rollout`, `get_rollout` (sync: call them off the event loop)
- `act_on_current(core, actor, ref, action)` (sync)
Each change of status is published on core.bus as Event('rollout', <rollout id>, {status, deployment, ...}).
The rest happens without a person: core.rollouts.evaluation advances, promotes, pauses or rolls back (the workers call it).
"""

import asyncio
from typing import Any

import sqlalchemy as sa

from core import deployments
from core.app import Core
from core.errors import Conflict, Invalid, NotFound
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.rollouts import records
from core.rollouts.actions import Action, act
from core.rollouts.records import ROLLOUT, RolloutView
from core.rollouts.settings import parse_settings, settings_json
from core.rollouts.stages import candidate_percent
from core.rollouts.vocabulary import RolloutStatus
from core.text import has_nul
from data.tables import Deployment, DeploymentRevision, Rollout, new_id

DEPLOYMENT, REVISION = Deployment.__table__, DeploymentRevision.__table__


async def start_rollout(core: Core, actor: Actor, ref: str, *, changes: Any, settings: Any = None) -> RolloutView:
    """Write the candidate as a new revision and start sending it the first stage's share of runs.

    `changes`: any change a PATCH could make (promptId, promptVersion, provider, model, options; snake_case keys);
    `settings`: stages, stageMinutes, minSamples, guardrails, onRegression as the API spells them (defaults if absent).
    """
    actor.require('deployments:write')
    parsed = parse_settings(settings if settings is not None else {})
    if not isinstance(changes, dict) or not changes:
        raise Invalid('changes', 'must name at least one field to change (promptId, promptVersion, provider, model, options)')
    current = await asyncio.to_thread(deployments.load, core, ref)
    config = await deployments.changed_config(core, current, changes, field_prefix='changes.')
    if config == deployments.config_of(current):
        raise Invalid('changes', 'the candidate is the same as the current configuration: there is nothing to roll out')
    row = await asyncio.to_thread(_insert, core, actor, current, config, settings_json(parsed), parsed.stages[0])
    records.announce(core.bus, row.id, current.name, RolloutStatus.RUNNING, stage=0, percent=row.percent, by=actor.name)
    return await asyncio.to_thread(_read_view, core, row.id)


def list_rollouts(core: Core, actor: Actor, ref: str) -> list[RolloutView]:
    """The deployment's rollouts, newest first."""
    actor.require('deployments:read')
    with core.db.connect() as connection:
        deployment = _deployment(connection, ref)
        statement = sa.select(ROLLOUT).where(ROLLOUT.c.deployment_id == deployment.id).order_by(ROLLOUT.c.started_at.desc())
        return [records.view(connection, row, deployment.name) for row in connection.execute(statement)]


def current_rollout(core: Core, actor: Actor, ref: str) -> RolloutView:
    """The deployment's running or paused rollout; NotFound when none is."""
    actor.require('deployments:read')
    with core.db.connect() as connection:
        deployment = _deployment(connection, ref)
        row = records.active_row(connection, deployment.id)
        if row is None:
            raise NotFound(f'deployment {deployment.name!r} has no rollout under way')
        return records.view(connection, row, deployment.name)


def get_rollout(core: Core, actor: Actor, rollout_id: str) -> RolloutView:
    """One rollout by id (what a 'rollout' event names)."""
    actor.require('deployments:read')
    return _read_view(core, rollout_id)


def act_on_current(core: Core, actor: Actor, ref: str, action: str) -> RolloutView:
    """A person promotes, pauses, resumes or aborts the deployment's active rollout; Conflict when it does not apply."""
    actor.require('deployments:write')
    try:
        action = Action(action)
    except ValueError:
        raise Invalid('action', f'must be one of {", ".join(Action)}') from None
    now = core.clock()
    with core.db.begin() as connection:
        deployment = _deployment(connection, ref)
        row = records.active_row(connection, deployment.id, lock=True)
        if row is None:
            raise Conflict(f'deployment {deployment.name!r} has no rollout under way to {action.value}')
        state = act(records.state_of(row), action, now=now)
        percent = candidate_percent(records.settings_of(row), state)
        reason = f'{action.value.capitalize()}d by {actor.name}' if action != Action.ABORT else f'Aborted by {actor.name}'
        resumed = action == Action.RESUME
        if not records.change(
            connection, row, now=now, by=actor.name, status=state.status, stage=state.stage, percent=percent,
            reason=reason, restart_stage=resumed, restart_guardrails=resumed,
        ):  # fmt: skip
            raise Conflict('the rollout changed meanwhile (its stage moved on); reload it and try again')
    records.announce(core.bus, row.id, deployment.name, state.status, stage=state.stage, percent=percent, by=actor.name)
    return _read_view(core, row.id)


def _insert(core: Core, actor: Actor, current: Deployment, config: dict, settings: dict, percent: int) -> Any:
    """The candidate revision and the rollout, in one transaction; Conflict when a rollout is already under way."""
    now = core.clock()
    with core.db.begin() as connection:
        deployments.check_prompt(connection, config, field_prefix='changes.')
        if records.active_row(connection, current.id) is not None:
            raise Conflict(f'deployment {current.name!r} already has a rollout under way; promote or abort it first')
        fenced = sa.select(DEPLOYMENT.c.revision).where(DEPLOYMENT.c.id == current.id).with_for_update()
        if connection.execute(fenced).scalar_one_or_none() != current.revision:
            raise Conflict(f'deployment {current.name!r} changed while starting the rollout; reload it and try again')
        number = deployments.next_revision_number(connection, current.id)
        candidate = deployments.revision_config(config)
        connection.execute(
            sa.insert(REVISION).values(
                id=new_id(), deployment_id=current.id, revision=number,
                config=candidate, created_by=actor.name, created_at=now,
            )
        )  # fmt: skip
        entry = {'at': now.isoformat(), 'status': 'running', 'stage': 0, 'percent': percent, 'by': actor.name,
                 'reason': f'Started by {actor.name}: revision {number} gets {percent} % of runs'}  # fmt: skip
        row = Rollout(
            deployment_id=current.id, percent=percent, settings=settings, stable_revision=current.revision,
            candidate_revision=number, candidate=candidate, history=[entry], created_by=actor.name,
            stage_started_at=now, guarded_since=now, started_at=now, updated_at=now,
        )  # fmt: skip
        try:
            connection.execute(sa.insert(ROLLOUT).values(**row.model_dump()))
        except sa.exc.IntegrityError:  # two starts raced: the unique index on active rollouts let one through
            raise Conflict(f'deployment {current.name!r} already has a rollout under way') from None
        records.queue_webhooks(connection, row.id, current.id)  # its first status, as every later change
    return row


def _read_view(core: Core, rollout_id: str) -> RolloutView:
    with core.db.connect() as connection:
        found = sa.select(ROLLOUT).where(ROLLOUT.c.id == rollout_id)
        row = None if has_nul(rollout_id) else connection.execute(found).one_or_none()
        if row is None:
            raise NotFound(f'no rollout {rollout_id!r}')
        name = connection.execute(sa.select(DEPLOYMENT.c.name).where(DEPLOYMENT.c.id == row.deployment_id)).scalar_one()
        return records.view(connection, row, name)


def _deployment(connection: sa.Connection, ref: str) -> Any:
    if has_nul(ref):
        raise NotFound(f'no deployment {ref!r}')
    column = DEPLOYMENT.c.id if looks_like_uuid(ref) else DEPLOYMENT.c.name
    found = connection.execute(sa.select(DEPLOYMENT.c.id, DEPLOYMENT.c.name).where(column == ref)).one_or_none()
    if found is None:
        raise NotFound(f'no deployment {ref!r}')
    return found
