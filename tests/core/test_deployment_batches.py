"""Batches of deployments: a preview listing each change, then every change as a new revision or none at all."""

import pytest

from core.deployment_batches import apply_change, delete_deployments, plan_change, select_deployments
from core.deployments import create_deployment, get_deployment, list_revisions, update_deployment
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.prompts import create_prompt
from core.rollouts.service import start_rollout
from data.tables import Deployment, DeploymentRevision
from tests.actors import EDITOR, SYSTEM, VIEWER, count


@pytest.fixture
async def bots(core) -> dict[str, str]:
    prompt = create_prompt(core, SYSTEM, name='support', template='Answer briefly: {{input}}')
    made = {}
    for name, provider, model, options in (
        ('billing-bot', 'openai', 'gpt-4o-mini', {'temperature': 0.2}),
        ('sales-bot', 'openai', 'gpt-4o-mini', {}),
        ('local-bot', 'ollama', 'llama3.2', {'topK': 40}),
    ):
        deployment = await create_deployment(
            core, EDITOR, name=name, prompt_id=prompt.id, provider=provider, model=model, options=options
        )
        made[name] = deployment.id
    return made


def state(core, name: str) -> tuple:
    deployment = get_deployment(core, SYSTEM, name)
    return deployment.model, deployment.options, deployment.revision


async def test_the_preview_lists_each_change_and_writes_nothing(core, bots):
    ids = [bots['billing-bot'], bots['sales-bot']]
    plan = await plan_change(core, EDITOR, ids=ids, changes={'model': 'gpt-4o', 'options': {'temperature': 0.5}})
    assert [(p.name, p.before['model'], p.after['model'], p.after['options']) for p in plan] == [
        ('billing-bot', 'gpt-4o-mini', 'gpt-4o', {'temperature': 0.5}),
        ('sales-bot', 'gpt-4o-mini', 'gpt-4o', {'temperature': 0.5}),
    ]
    assert state(core, 'billing-bot') == ('gpt-4o-mini', {'temperature': 0.2}, 1)


async def test_applying_writes_a_new_revision_for_each_changed_deployment(core, bots):
    ids = [bots['billing-bot'], bots['sales-bot']]
    plan = await plan_change(core, EDITOR, ids=ids, changes={'options': {'temperature': None, 'topP': 0.9}})
    assert await apply_change(core, EDITOR, plan=plan) == 2
    assert state(core, 'billing-bot') == ('gpt-4o-mini', {'topP': 0.9}, 2)
    assert state(core, 'sales-bot') == ('gpt-4o-mini', {'topP': 0.9}, 2)
    newest = list_revisions(core, SYSTEM, 'billing-bot')[0]
    assert (newest.revision, newest.config['options'], newest.created_by) == (2, {'topP': 0.9}, EDITOR.name)


async def test_removing_an_option_changes_only_the_deployments_that_set_it(core, bots):
    plan = await plan_change(core, EDITOR, ids=list(bots.values()), changes={'options': {'topK': None}})
    assert [(p.name, p.changed, p.after['options']) for p in plan] == [
        ('billing-bot', False, {'temperature': 0.2}),  # OpenAI has no topK: nothing to remove, and no refusal
        ('local-bot', True, {}),
        ('sales-bot', False, {}),
    ]
    assert await apply_change(core, EDITOR, plan=plan) == 1
    assert state(core, 'local-bot') == ('llama3.2', {}, 2)
    assert state(core, 'billing-bot') == ('gpt-4o-mini', {'temperature': 0.2}, 1)


async def test_one_deployment_that_cannot_take_the_change_stops_the_whole_batch(core, bots):
    with pytest.raises(Invalid) as caught:
        await plan_change(core, EDITOR, ids=list(bots.values()), changes={'options': {'topK': 5}})
    assert caught.value.field == 'options.topK' and "'billing-bot'" in caught.value.detail
    with pytest.raises(Invalid, match="'local-bot'"):
        await plan_change(core, EDITOR, ids=list(bots.values()), changes={'model': 'gpt-4o'})
    assert count(core, DeploymentRevision) == 3


async def test_a_deployment_edited_after_the_preview_stops_the_batch_and_nothing_is_saved(core, bots):
    ids = [bots['billing-bot'], bots['sales-bot']]
    plan = await plan_change(core, EDITOR, ids=ids, changes={'model': 'gpt-4o'})
    await update_deployment(core, EDITOR, 'sales-bot', changes={'options': {'topP': 0.5}})
    with pytest.raises(Conflict, match='sales-bot'):
        await apply_change(core, EDITOR, plan=plan)
    assert state(core, 'billing-bot') == ('gpt-4o-mini', {'temperature': 0.2}, 1)  # its revision was rolled back


async def test_delete_removes_every_selected_deployment_or_none(core, bots):
    with pytest.raises(NotFound):
        delete_deployments(core, EDITOR, ids=[bots['billing-bot'], '00000000-0000-0000-0000-000000000000'])
    assert count(core, Deployment) == 3
    assert delete_deployments(core, EDITOR, ids=[bots['billing-bot'], bots['sales-bot']]) == 2
    assert select_deployments(core, EDITOR, search='bot') == [(bots['local-bot'], 'local-bot')]


async def test_select_all_matching_takes_the_tables_search(core, bots):
    assert select_deployments(core, EDITOR, search='OLLAMA') == [(bots['local-bot'], 'local-bot')]
    names = ['billing-bot', 'local-bot', 'sales-bot']
    assert select_deployments(core, EDITOR, search='bot') == [(bots[name], name) for name in names]
    assert select_deployments(core, EDITOR, ids=[bots['sales-bot']]) == [(bots['sales-bot'], 'sales-bot')]


async def test_a_viewer_may_not_change_or_delete_in_a_batch(core, bots):
    ids = [bots['billing-bot']]
    with pytest.raises(Forbidden):
        await plan_change(core, VIEWER, ids=ids, changes={'model': 'gpt-4o'})
    plan = await plan_change(core, EDITOR, ids=ids, changes={'model': 'gpt-4o'})
    with pytest.raises(Forbidden):
        await apply_change(core, VIEWER, plan=plan)
    with pytest.raises(Forbidden):
        delete_deployments(core, VIEWER, ids=ids)
    with pytest.raises(Forbidden):
        select_deployments(core, VIEWER, search='bot')


@pytest.mark.parametrize(
    ('ids', 'changes', 'field'),
    [
        ([], {'model': 'gpt-4o'}, 'deployments'),
        (['x\x00'], {'model': 'gpt-4o'}, 'deployments'),
        (None, {}, 'changes'),
        (None, {'provider': 'ollama'}, 'provider'),
        (None, {'options': {'seed': 1}}, 'options.seed'),
        (None, {'options': {'temperature': 3}}, 'options.temperature'),
        (None, {'model': 'no-such-model'}, 'model'),
    ],
)
async def test_bad_batches_are_refused_naming_the_field(core, bots, ids, changes, field):
    with pytest.raises(Invalid) as caught:
        await plan_change(core, EDITOR, ids=[bots['sales-bot']] if ids is None else ids, changes=changes)
    assert caught.value.field == field


async def test_a_deployment_in_a_rollout_stops_the_batch_at_the_preview_or_when_saving(core, bots):
    ids = [bots['billing-bot'], bots['sales-bot']]
    plan = await plan_change(core, EDITOR, ids=ids, changes={'options': {'topP': 0.5}})
    await start_rollout(core, SYSTEM, 'sales-bot', changes={'model': 'gpt-4o'})  # between the preview and the click
    with pytest.raises(Conflict, match="'sales-bot' has a rollout under way"):
        await apply_change(core, EDITOR, plan=plan)
    assert state(core, 'billing-bot') == ('gpt-4o-mini', {'temperature': 0.2}, 1)
    with pytest.raises(Conflict, match="'sales-bot' has a rollout under way"):
        await plan_change(core, EDITOR, ids=ids, changes={'options': {'topP': 0.5}})
