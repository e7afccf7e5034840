import asyncio

import pytest

from core.deployments import (
    DeploymentView,
    check_name,
    create_deployment,
    delete_deployment,
    get_deployment,
    list_deployments,
    list_revisions,
    rollback_deployment,
    update_deployment,
)
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.options import validate_options
from core.prompts import create_prompt, update_prompt
from core.providers.registry import ProviderRegistry
from core.secrets import SecretBox
from core.settings import Settings
from data.db import make_engine
from data.tables import Deployment, DeploymentRevision
from tests.actors import EDITOR, SYSTEM, VIEWER, count


def written(core) -> tuple[int, int]:
    return count(core, Deployment), count(core, DeploymentRevision)


@pytest.fixture
def prompt(core):
    create_prompt(core, SYSTEM, name='support', template='Answer kindly: {{input}}')
    return update_prompt(core, SYSTEM, 'support', template='Answer briefly: {{input}}')  # two versions


async def deploy(core, prompt, name='support-bot', **fields):
    values = {'prompt_id': prompt.id, 'provider': 'openai', 'model': 'gpt-4o-mini', **fields}
    return await create_deployment(core, EDITOR, name=name, **values)


async def test_create_deployment_writes_revision_one(core, prompt):
    deployment = await deploy(core, prompt, prompt_version=1, options={'temperature': 0.2, 'topP': 1})
    assert (deployment.name, deployment.revision, deployment.prompt_version) == ('support-bot', 1, 1)
    assert deployment.options == {'temperature': 0.2, 'topP': 1.0}
    [revision] = list_revisions(core, VIEWER, 'support-bot')
    assert revision.revision == 1
    assert revision.created_by == 'editor@example.com'
    assert revision.config == {
        'promptId': prompt.id,
        'promptVersion': 1,
        'provider': 'openai',
        'model': 'gpt-4o-mini',
        'options': {'temperature': 0.2, 'topP': 1.0},
    }
    assert get_deployment(core, VIEWER, deployment.id).name == 'support-bot'
    assert get_deployment(core, VIEWER, 'support-bot').id == deployment.id


async def test_every_provider_takes_its_listed_models_and_options(core, prompt):
    await deploy(core, prompt, 'a', provider='anthropic', model='claude-haiku-4-5', options={'temperature': 0, 'topK': 5})
    await deploy(core, prompt, 'o', provider='ollama', model='qwen3', options={'topP': 0.9, 'topK': 40})
    assert written(core) == (2, 2)


@pytest.mark.parametrize(
    ('name', 'message'),
    [
        ('', 'must not be empty'),
        ('x' * 101, 'at most 100'),
        ('Support-Bot', 'lowercase'),
        ('support bot', 'lowercase'),
        ('support.bot', 'lowercase'),
        ('support-bot\n', 'lowercase'),
        ('bot/../x', 'lowercase'),
        (None, 'must not be empty'),
        ('123e4567-e89b-12d3-a456-426614174000', 'UUID'),
        ('123e4567e89b12d3a456426614174000', 'UUID'),
    ],
)
def test_check_name_refuses_what_is_not_a_slug(name, message):
    with pytest.raises(Invalid) as caught:
        check_name(name)
    assert caught.value.field == 'name'
    assert message in caught.value.detail


@pytest.mark.parametrize('name', ['Support-Bot', '123e4567-e89b-12d3-a456-426614174000'])
async def test_a_bad_name_is_refused_and_writes_nothing(core, prompt, name):
    with pytest.raises(Invalid) as caught:
        await deploy(core, prompt, name)
    assert caught.value.field == 'name'
    assert written(core) == (0, 0)


async def test_the_longest_name_and_every_allowed_character_are_accepted(core, prompt):
    await deploy(core, prompt, 'a' * 100)
    await deploy(core, prompt, 'a-z_0-9')
    assert written(core) == (2, 2)


async def test_a_duplicate_name_is_a_conflict_and_writes_nothing(core, prompt):
    await deploy(core, prompt)
    with pytest.raises(Conflict, match="'support-bot'"):
        await deploy(core, prompt, model='gpt-4o')
    assert written(core) == (1, 1)


async def test_concurrent_creates_of_one_name_have_exactly_one_winner(core, prompt):
    await core.registry.models('openai')  # warm the cache so every create reaches the database at once
    results = await asyncio.gather(*(deploy(core, prompt) for _ in range(6)), return_exceptions=True)
    assert sum(isinstance(result, DeploymentView) for result in results) == 1
    assert all(isinstance(result, (DeploymentView, Conflict)) for result in results), results
    assert written(core) == (1, 1)


@pytest.mark.parametrize(
    ('fields', 'field', 'message'),
    [
        ({'prompt_id': '123e4567-e89b-12d3-a456-426614174000'}, 'promptId', 'no prompt'),
        ({'prompt_id': ''}, 'promptId', 'prompt id'),
        ({'prompt_version': 3}, 'promptVersion', 'no version 3'),
        ({'prompt_version': 0}, 'promptVersion', 'version number'),
        ({'provider': 'mistral'}, 'provider', "unknown provider 'mistral'"),
        ({'model': 'gpt-5-imaginary'}, 'model', "does not list a model 'gpt-5-imaginary'"),
        ({'provider': 'anthropic', 'model': 'gpt-4o-mini'}, 'model', 'anthropic does not list'),
        ({'options': {'temperature': 1.5}}, 'options.temperature', 'from 0 to 1'),
        ({'provider': 'ollama', 'model': 'qwen3', 'options': {'topK': 0}}, 'options.topK', 'at least 1'),
        ({'options': {'topK': 40}}, 'options.topK', 'openai does not support topK'),
        ({'options': {'maxTokens': 0}}, 'options.maxTokens', 'from 1 to'),
        ({'options': {'maxTokens': 2.5}}, 'options.maxTokens', 'integer'),
        ({'options': {'seed': 1}}, 'options.seed', 'unknown option'),
    ],
)
async def test_a_bad_config_is_refused_naming_the_field_and_writes_nothing(core, prompt, fields, field, message):
    with pytest.raises(Invalid) as caught:
        await deploy(core, prompt, **fields)
    assert caught.value.field == field
    assert message in caught.value.detail
    assert written(core) == (0, 0)


@pytest.fixture(scope='module')
def registry(tmp_path_factory):
    """A real registry; option checks read only what each adapter supports, so no database or server is needed."""
    settings = Settings.from_env(
        {'HYPERSIGIL_DATA_DIR': str(tmp_path_factory.mktemp('registry')), 'HYPERSIGIL_DATABASE_URL': 'sqlite://'}
    )
    return ProviderRegistry(settings=settings, db=make_engine('sqlite://'), box=SecretBox('test-secret-key'))


@pytest.mark.parametrize(
    ('provider', 'options', 'field', 'message'),
    [
        ('openai', {'temperature': -0.1}, 'options.temperature', 'from 0 to 1'),
        ('openai', {'temperature': '0.5'}, 'options.temperature', 'from 0 to 1'),
        ('openai', {'temperature': True}, 'options.temperature', 'from 0 to 1'),
        ('openai', {'temperature': float('nan')}, 'options.temperature', 'from 0 to 1'),
        ('openai', {'topP': 2}, 'options.topP', 'from 0 to 1'),
        ('openai', {'topK': 40}, 'options.topK', 'openai does not support topK'),
        ('anthropic', {'topP': -1}, 'options.topP', 'from 0 to 1'),
        ('ollama', {'topK': 2.5}, 'options.topK', 'integer'),
        ('ollama', {'topK': True}, 'options.topK', 'integer'),
        ('ollama', {'topK': -3}, 'options.topK', 'at least 1'),
        ('ollama', {'seed': 1}, 'options.seed', 'unknown option'),
        ('ollama', ['temperature'], 'options', 'must be an object'),
    ],
)
def test_validate_options_refuses_out_of_range_and_unsupported_values(registry, provider, options, field, message):
    with pytest.raises(Invalid) as caught:
        validate_options(registry, provider, options)
    assert caught.value.field == field
    assert message in caught.value.detail


def test_validate_options_normalises_and_drops_unset_values(registry):
    assert validate_options(registry, 'ollama', {'temperature': 1, 'topP': 0, 'topK': 1}) == {
        'temperature': 1.0,
        'topP': 0.0,
        'topK': 1,
    }
    assert validate_options(registry, 'openai', {'temperature': None, 'topK': None}) == {}
    assert validate_options(registry, 'openai', None) == {}
    with pytest.raises(Invalid) as caught:
        validate_options(registry, 'openai', {'topK': 5}, field='options')
    assert caught.value.field == 'options.topK'


async def test_a_provider_that_cannot_list_models_is_reported_on_the_model_field(core, prompt, fake_llm):
    fake_llm.fail(401, provider='openai', on='models')
    with pytest.raises(Invalid) as caught:
        await deploy(core, prompt)
    assert caught.value.field == 'model'
    assert caught.value.detail.startswith('could not list models for openai: ')
    assert written(core) == (0, 0)


async def test_update_writes_a_new_revision_with_the_full_config(core, prompt):
    created = await deploy(core, prompt, options={'temperature': 0.2})
    updated = await update_deployment(core, SYSTEM, 'support-bot', changes={'model': 'gpt-4o', 'options': {'topP': 0.5}})
    assert (updated.id, updated.revision, updated.model, updated.options) == (created.id, 2, 'gpt-4o', {'topP': 0.5})
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    newest, oldest = list_revisions(core, VIEWER, created.id)
    assert (newest.revision, oldest.revision) == (2, 1)
    assert newest.config == {
        'promptId': prompt.id,
        'promptVersion': None,
        'provider': 'openai',
        'model': 'gpt-4o',
        'options': {'topP': 0.5},
    }
    assert newest.created_by == 'system'


async def test_an_update_that_changes_nothing_writes_no_revision(core, prompt):
    await deploy(core, prompt, options={'temperature': 0.2})
    same = await update_deployment(core, SYSTEM, 'support-bot', changes={'name': 'support-bot', 'options': {'temperature': 0.2}})
    assert same.revision == 1
    assert written(core) == (1, 1)


async def test_renaming_is_refused(core, prompt):
    await deploy(core, prompt)
    with pytest.raises(Invalid) as caught:
        await update_deployment(core, SYSTEM, 'support-bot', changes={'name': 'other-bot', 'model': 'gpt-4o'})
    assert (caught.value.field, caught.value.detail) == ('name', 'name is immutable')
    assert get_deployment(core, SYSTEM, 'support-bot').model == 'gpt-4o-mini'
    assert written(core) == (1, 1)


@pytest.mark.parametrize(
    ('changes', 'field'),
    [
        ({'provider': 'anthropic'}, 'model'),  # gpt-4o-mini is not an Anthropic model
        ({'prompt_version': 9}, 'promptVersion'),
        ({'options': {'topK': 3}}, 'options.topK'),
        ({'revision': 7}, 'revision'),
        ({'created_by': 'me'}, 'createdBy'),
    ],
)
async def test_a_bad_update_is_refused_and_writes_nothing(core, prompt, changes, field):
    await deploy(core, prompt)
    with pytest.raises(Invalid) as caught:
        await update_deployment(core, SYSTEM, 'support-bot', changes=changes)
    assert caught.value.field == field
    assert get_deployment(core, SYSTEM, 'support-bot').revision == 1
    assert written(core) == (1, 1)


async def test_switching_provider_rechecks_the_options(core, prompt):
    await deploy(core, prompt, provider='ollama', model='llama3.2', options={'topK': 20})
    with pytest.raises(Invalid, match='openai does not support topK') as caught:
        await update_deployment(core, SYSTEM, 'support-bot', changes={'provider': 'openai', 'model': 'gpt-4o'})
    assert caught.value.field == 'options.topK'
    moved = await update_deployment(core, SYSTEM, 'support-bot', changes={'provider': 'openai', 'model': 'gpt-4o', 'options': {}})
    assert (moved.provider, moved.model, moved.options, moved.revision) == ('openai', 'gpt-4o', {}, 2)


async def test_concurrent_updates_never_share_a_revision_number(core, prompt):
    await deploy(core, prompt)
    changes = [{'options': {'temperature': t / 10}} for t in range(5)]
    results = await asyncio.gather(
        *(update_deployment(core, SYSTEM, 'support-bot', changes=c) for c in changes), return_exceptions=True
    )
    assert all(isinstance(result, (DeploymentView, Conflict)) for result in results), results
    wins = sum(isinstance(result, DeploymentView) for result in results)
    assert wins >= 1
    assert [r.revision for r in list_revisions(core, SYSTEM, 'support-bot')] == list(range(wins + 1, 0, -1))
    assert get_deployment(core, SYSTEM, 'support-bot').revision == wins + 1


async def test_rollback_writes_a_new_revision_with_the_old_config(core, prompt):
    await deploy(core, prompt, prompt_version=1, options={'temperature': 0.2})
    await update_deployment(core, SYSTEM, 'support-bot', changes={'prompt_version': None, 'model': 'gpt-4o', 'options': {}})
    rolled = await rollback_deployment(core, EDITOR, 'support-bot', revision=1)
    assert (rolled.revision, rolled.prompt_version, rolled.model, rolled.options) == (3, 1, 'gpt-4o-mini', {'temperature': 0.2})
    third, second, first = list_revisions(core, VIEWER, 'support-bot')
    assert [third.revision, second.revision, first.revision] == [3, 2, 1]
    assert third.config == first.config
    assert third.created_by == 'editor@example.com'


async def test_rollback_to_a_missing_revision_is_not_found(core, prompt):
    await deploy(core, prompt)
    with pytest.raises(NotFound):
        await rollback_deployment(core, SYSTEM, 'support-bot', revision=5)
    with pytest.raises(Invalid) as caught:
        await rollback_deployment(core, SYSTEM, 'support-bot', revision=0)
    assert caught.value.field == 'revision'
    assert written(core) == (1, 1)


async def test_delete_removes_the_deployment_and_its_revisions(core, prompt):
    await deploy(core, prompt)
    await update_deployment(core, SYSTEM, 'support-bot', changes={'model': 'gpt-4o'})
    delete_deployment(core, EDITOR, 'support-bot')
    assert written(core) == (0, 0)
    with pytest.raises(NotFound):
        get_deployment(core, SYSTEM, 'support-bot')
    with pytest.raises(NotFound):
        delete_deployment(core, SYSTEM, 'support-bot')


async def test_unknown_deployments_are_not_found(core, prompt):
    with pytest.raises(NotFound):
        get_deployment(core, SYSTEM, 'nope')
    with pytest.raises(NotFound):
        await update_deployment(core, SYSTEM, '123e4567-e89b-12d3-a456-426614174000', changes={'model': 'gpt-4o'})


async def test_viewers_read_but_cannot_write_deployments(core, prompt):
    await deploy(core, prompt)
    assert list_deployments(core, VIEWER).total == 1
    with pytest.raises(Forbidden):
        await create_deployment(core, VIEWER, name='x', prompt_id=prompt.id, provider='openai', model='gpt-4o')
    with pytest.raises(Forbidden):
        await update_deployment(core, VIEWER, 'support-bot', changes={'model': 'gpt-4o'})
    with pytest.raises(Forbidden):
        delete_deployment(core, VIEWER, 'support-bot')
    assert written(core) == (1, 1)


@pytest.fixture
async def several(core, prompt):
    rows = [
        ('billing', 'anthropic', 'claude-sonnet-4-5'),
        ('alpha_bot', 'openai', 'gpt-4o'),
        ('local-llama', 'ollama', 'llama3.2'),
        ('chat', 'openai', 'gpt-4o-mini'),
        ('summarise', 'anthropic', 'claude-haiku-4-5'),
    ]
    for name, provider, model in rows:
        await deploy(core, prompt, name, provider=provider, model=model)
    await update_deployment(core, SYSTEM, 'billing', changes={'options': {'temperature': 0.1}})  # updated last


def names(page) -> list[str]:
    return [deployment.name for deployment in page.items]


async def test_list_sorts_by_each_column_both_ways(core, several):
    assert names(list_deployments(core, VIEWER)) == ['alpha_bot', 'billing', 'chat', 'local-llama', 'summarise']
    assert names(list_deployments(core, VIEWER, order_by='name', order='desc'))[0] == 'summarise'
    by_provider = names(list_deployments(core, VIEWER, order_by='provider'))
    assert by_provider[:2] in (['billing', 'summarise'], ['summarise', 'billing']) and by_provider[2] == 'local-llama'
    assert names(list_deployments(core, VIEWER, order_by='model')) == ['summarise', 'billing', 'alpha_bot', 'chat', 'local-llama']
    assert names(list_deployments(core, VIEWER, order_by='createdAt')) == [
        'billing',
        'alpha_bot',
        'local-llama',
        'chat',
        'summarise',
    ]
    assert names(list_deployments(core, VIEWER, order_by='createdAt', order='desc'))[0] == 'summarise'
    assert names(list_deployments(core, VIEWER, order_by='updatedAt', order='desc'))[0] == 'billing'


async def test_list_searches_name_model_and_provider_ignoring_case(core, several):
    assert names(list_deployments(core, VIEWER, search='ANTHROPIC')) == ['billing', 'summarise']
    assert names(list_deployments(core, VIEWER, search='gpt-4o')) == ['alpha_bot', 'chat']
    assert names(list_deployments(core, VIEWER, search='llama')) == ['local-llama']
    assert names(list_deployments(core, VIEWER, search='_')) == ['alpha_bot']  # a LIKE wildcard taken literally
    assert list_deployments(core, VIEWER, search='%').total == 0


async def test_list_pages_with_a_total(core, several):
    first = list_deployments(core, VIEWER, page=1, page_size=2)
    third = list_deployments(core, VIEWER, page=3, page_size=2)
    beyond = list_deployments(core, VIEWER, page=4, page_size=2)
    assert (first.total, first.page, first.page_size, names(first)) == (5, 1, 2, ['alpha_bot', 'billing'])
    assert names(third) == ['summarise']
    assert (beyond.items, beyond.total) == ([], 5)
    assert list_deployments(core, VIEWER, page_size=1000).page_size == 100


@pytest.mark.parametrize(
    ('arguments', 'field'),
    [({'order_by': 'prompt'}, 'orderBy'), ({'order': 'up'}, 'order'), ({'page': 0}, 'page'), ({'page_size': 0}, 'pageSize')],
)
def test_list_refuses_bad_arguments(core, arguments, field):
    with pytest.raises(Invalid) as caught:
        list_deployments(core, VIEWER, **arguments)
    assert caught.value.field == field
