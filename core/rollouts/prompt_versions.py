"""A prompt's deployments, and a new prompt version rolled out gradually to those that follow "latest".

Saving a new version changes every deployment that follows "latest" at once. Instead, `save_and_roll_out` first pins
each such deployment to the version it runs now (a revision that changes nothing they run), then saves the version,
then starts a rollout on each whose candidate follows "latest" again: once promoted, they follow it as before.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core import deployments, prompts
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from core.prompts import PromptView
from core.rollouts import service
from core.rollouts.records import RolloutView
from core.rollouts.vocabulary import ACTIVE
from data.tables import Deployment, Prompt, Rollout

DEPLOYMENT, ROLLOUT, PROMPT = Deployment.__table__, Rollout.__table__, Prompt.__table__


@dataclass(frozen=True)
class PromptUse:
    """One deployment of the prompt: the version it pins (None: it follows "latest") and whether a rollout runs."""

    deployment: str
    prompt_version: int | None
    revision: int
    rolling_out: bool

    @property
    def follows_latest(self) -> bool:
        return self.prompt_version is None


def prompt_uses(core: Core, actor: Actor, prompt_ref: str) -> list[PromptUse]:
    """The deployments that run the prompt, by name."""
    actor.require('deployments:read')
    actor.require('prompts:read')
    with core.session() as session:
        prompt_id = prompts.find_prompt(session, prompt_ref).id
    active = sa.exists().where(ROLLOUT.c.deployment_id == DEPLOYMENT.c.id, ROLLOUT.c.status.in_(ACTIVE))
    statement = (
        sa.select(DEPLOYMENT.c.name, DEPLOYMENT.c.prompt_version, DEPLOYMENT.c.revision, active.label('rolling_out'))
        .where(DEPLOYMENT.c.prompt_id == prompt_id)
        .order_by(DEPLOYMENT.c.name)
    )
    with core.db.connect() as connection:
        return [
            PromptUse(row.name, row.prompt_version, row.revision, bool(row.rolling_out)) for row in connection.execute(statement)
        ]


async def save_and_roll_out(
    core: Core, actor: Actor, prompt_ref: str, *, content: dict[str, Any], settings: dict[str, Any] | None = None
) -> tuple[PromptView, list[RolloutView]]:
    """Save the prompt's new content (as prompts.update_prompt does) and roll the new version out gradually to the
    deployments that follow "latest" and have no rollout under way (those with one change at once, as before).

    When the save fails, the pins are undone: the deployments follow "latest" again, as they did.
    """
    actor.require('deployments:write')
    before = await asyncio.to_thread(prompts.get_prompt, core, actor, prompt_ref)
    uses = await asyncio.to_thread(prompt_uses, core, actor, before.id)
    followers = [use.deployment for use in uses if use.follows_latest and not use.rolling_out]
    pinned = []
    try:
        for name in followers:
            await deployments.update_deployment(core, actor, name, changes={'prompt_version': before.version})
            pinned.append(name)
        saved = await asyncio.to_thread(prompts.update_prompt, core, actor, before.id, **content)
    except DomainError:
        await _follow_latest(core, actor, pinned)
        raise
    if saved.version == before.version:  # the content did not change: nothing to roll out
        await _follow_latest(core, actor, pinned)
        return saved, []
    started = [
        await service.start_rollout(core, actor, name, changes={'prompt_version': None}, settings=settings) for name in pinned
    ]
    return saved, started


async def _follow_latest(core: Core, actor: Actor, names: list[str]) -> None:
    for name in names:
        await deployments.update_deployment(core, actor, name, changes={'prompt_version': None})
