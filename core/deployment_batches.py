"""Deployments changed or deleted together: a preview that lists every change, then all of it or nothing."""

import asyncio
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.deployments import CONFIG_FIELDS, check_config, config_of, refuse_during_rollout, write_revision
from core.errors import Conflict, Invalid, NotFound
from core.options import KNOWN_OPTIONS
from core.pagination import like_pattern
from core.permissions import Actor
from data.tables import Deployment

MAX_BATCH = 1000  # deployments one batch may touch: a confirmation lists them all
BATCH_FIELDS = ('model', 'options')  # what a batch may change; `options` sets the options it names (None removes one)


@dataclass(frozen=True)
class PlannedChange:
    """One deployment's part of a batch: its config now and after, and the revision the plan was made against."""

    deployment_id: str
    name: str
    revision: int
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def select_deployments(
    core: Core, actor: Actor, *, ids: list[str] | None = None, search: str | None = None
) -> list[tuple[str, str]]:
    """The (id, name) pairs a batch is about, by name: the ids given, or every deployment the table's search matches."""
    actor.require('deployments:write')
    statement = sa.select(Deployment.id, Deployment.name).order_by(Deployment.name)
    if ids is not None:
        statement = statement.where(Deployment.id.in_(_checked_ids(ids)))
    elif search:
        pattern = like_pattern(search)
        columns = (Deployment.name, Deployment.model, Deployment.provider)
        statement = statement.where(sa.or_(*(sa.func.lower(column).like(pattern, escape='\\') for column in columns)))
    with core.session() as session:
        found = [(row.id, row.name) for row in session.exec(statement.limit(MAX_BATCH + 1))]
    if ids is not None and len(found) != len(set(ids)):
        raise NotFound('some of the selected deployments no longer exist; reload the list')
    if len(found) > MAX_BATCH:
        raise Invalid('deployments', f'a batch may hold at most {MAX_BATCH} deployments')
    return found


async def plan_change(core: Core, actor: Actor, *, ids: list[str], changes: dict[str, Any]) -> list[PlannedChange]:
    """What `changes` would do to each deployment, every new config checked (Invalid names the field and deployment)."""
    actor.require('deployments:write')
    changes = _checked_changes(changes)
    rows = await asyncio.to_thread(_load, core, _checked_ids(ids))
    planned = []
    for row in rows:
        before = config_of(row)
        after = _changed(before, changes)
        try:
            after = await check_config(core, after, check_model=after['model'] != before['model'])
        except Invalid as error:
            raise Invalid(error.field, f'{error.detail} (deployment {row.name!r})') from None
        planned.append(PlannedChange(row.id, row.name, row.revision, _shown(before), _shown(after)))
    return planned


async def apply_change(core: Core, actor: Actor, *, plan: list[PlannedChange]) -> int:
    """Write each planned change as a new revision, all in one transaction; the number of deployments changed.

    Conflict, and nothing written, when any deployment changed since the plan was made (plan again and confirm again).
    """
    actor.require('deployments:write')
    return await asyncio.to_thread(_apply, core, actor, [change for change in plan if change.changed])


def delete_deployments(core: Core, actor: Actor, *, ids: list[str]) -> int:
    """Delete every listed deployment or none (NotFound when one is gone); their executions stay readable."""
    actor.require('deployments:write')
    ids = _checked_ids(ids)
    with core.session() as session:
        deleted = session.exec(sa.delete(Deployment).where(Deployment.id.in_(ids))).rowcount
        if deleted != len(set(ids)):
            raise NotFound('some of the selected deployments no longer exist; nothing was deleted, reload the list')
    return deleted


def _apply(core: Core, actor: Actor, plan: list[PlannedChange]) -> int:
    with core.session() as session:  # one transaction: an error anywhere rolls every revision back
        for change in plan:
            current = _current(session, change)
            write_revision(session, actor, current, _config(change.after))
    return len(plan)


def _current(session: Session, change: PlannedChange) -> Deployment:
    current = session.get(Deployment, change.deployment_id)
    if current is None or current.revision != change.revision:
        raise Conflict(f'deployment {change.name!r} changed or was deleted since the preview; nothing was saved')
    return current


def _load(core: Core, ids: list[str]) -> list[Deployment]:
    """The deployments, each free to change now (a rollout under way is a Conflict before anything is confirmed)."""
    with core.session() as session:
        rows = list(session.exec(sa.select(Deployment).where(Deployment.id.in_(ids)).order_by(Deployment.name)).scalars())
        if len(rows) != len(set(ids)):
            raise NotFound('some of the selected deployments no longer exist; reload the list')
        for row in rows:
            refuse_during_rollout(session, row)
    return rows


def _checked_ids(ids: Any) -> list[str]:
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and 0 < len(i) <= 36 and '\x00' not in i for i in ids):
        raise Invalid('deployments', 'select at least one deployment')
    if len(ids) > MAX_BATCH:
        raise Invalid('deployments', f'a batch may hold at most {MAX_BATCH} deployments')
    return ids


def _checked_changes(changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise Invalid('changes', f'name at least one of {", ".join(BATCH_FIELDS)}')
    for key in changes:
        if key not in BATCH_FIELDS:
            raise Invalid(key, 'cannot be changed in a batch')
    options = changes.get('options', {})
    if not isinstance(options, dict):
        raise Invalid('options', 'must be an object')
    for key in options:
        if key not in KNOWN_OPTIONS:
            raise Invalid(f'options.{key}', f'unknown option (use {", ".join(KNOWN_OPTIONS)})')
    return changes


def _changed(before: dict, changes: dict) -> dict:
    options = {**before['options'], **changes.get('options', {})}
    after = {**before, 'options': {key: value for key, value in options.items() if value is not None}}
    if 'model' in changes:
        after['model'] = changes['model']
    return after


def _shown(config: dict) -> dict:
    """camelCase, as revisions record it."""
    return {field: config[attribute] for attribute, field in CONFIG_FIELDS}


def _config(shown: dict) -> dict:
    return {attribute: shown[field] for attribute, field in CONFIG_FIELDS}
