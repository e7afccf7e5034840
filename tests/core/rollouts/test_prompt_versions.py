"""A new prompt version rolled out gradually to the deployments that follow "latest", the others left as they are."""

import pytest

from core import deployments
from core.errors import Forbidden, Invalid
from core.permissions import Actor
from core.prompts import create_prompt, update_prompt
from core.rollouts import prompt_versions, service
from core.rollouts.vocabulary import RolloutStatus
from tests.core.engine_helpers import SYSTEM

VIEWER = Actor.user('viewer-id', 'viewer@example.com', 'viewer')


@pytest.fixture
async def helpdesk(core):
    prompt = create_prompt(core, SYSTEM, name='helpdesk', template='Answer briefly.')
    update_prompt(core, SYSTEM, prompt.id, template='Answer briefly and kindly.')  # version 2
    for name, version in (('follows-a', None), ('follows-b', None), ('pinned', 1)):
        await deployments.create_deployment(
            core, SYSTEM, name=name, prompt_id=prompt.id, prompt_version=version, provider='openai', model='gpt-4o-mini'
        )
    return prompt


async def test_uses_list_each_deployment_and_whether_it_follows_latest(core, helpdesk):
    uses = prompt_versions.prompt_uses(core, SYSTEM, helpdesk.id)
    assert [(use.deployment, use.follows_latest, use.rolling_out) for use in uses] == [
        ('follows-a', True, False), ('follows-b', True, False), ('pinned', False, False),
    ]  # fmt: skip


async def test_saving_rolls_the_new_version_out_with_the_stable_arm_pinned_to_the_version_run_now(core, helpdesk):
    saved, started = await prompt_versions.save_and_roll_out(
        core, SYSTEM, helpdesk.id, content={'template': 'Answer in one sentence.'}, settings={'stages': [10, 100]}
    )
    assert saved.version == 3
    assert sorted(rollout.deployment for rollout in started) == ['follows-a', 'follows-b']
    for rollout in started:
        assert rollout.status == RolloutStatus.RUNNING and rollout.percent == 10
        assert rollout.candidate['promptVersion'] is None  # once promoted, it follows "latest" again
        current = deployments.get_deployment(core, SYSTEM, rollout.deployment)
        assert (current.prompt_version, current.revision) == (2, rollout.stable_revision)
    assert deployments.get_deployment(core, SYSTEM, 'pinned').revision == 1
    uses = prompt_versions.prompt_uses(core, SYSTEM, helpdesk.id)
    assert [use.rolling_out for use in uses] == [True, True, False]


async def test_a_failed_save_leaves_the_followers_following_latest_and_starts_nothing(core, helpdesk):
    with pytest.raises(Invalid) as raised:
        await prompt_versions.save_and_roll_out(core, SYSTEM, helpdesk.id, content={'template': ''})
    assert raised.value.field == 'template'
    for name in ('follows-a', 'follows-b'):
        assert deployments.get_deployment(core, SYSTEM, name).prompt_version is None
        assert service.list_rollouts(core, SYSTEM, name) == []


async def test_a_viewer_can_list_uses_but_not_roll_out(core, helpdesk):
    assert len(prompt_versions.prompt_uses(core, VIEWER, helpdesk.id)) == 3
    with pytest.raises(Forbidden):
        await prompt_versions.save_and_roll_out(core, VIEWER, helpdesk.id, content={'template': 'Other.'})
    assert deployments.get_deployment(core, SYSTEM, 'follows-a').revision == 1
