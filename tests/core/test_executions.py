import asyncio
import hashlib

import pytest
import sqlalchemy as sa

from core.deployments import create_deployment, delete_deployment, update_deployment
from core.errors import Forbidden, Invalid, NotFound
from core.execution_listing import list_executions
from core.executions import get_execution, run_deployment
from core.permissions import Actor
from core.prompts import create_prompt, update_prompt
from data.tables import Execution, FileBlob, StoredFile

SYSTEM = Actor.system()
EDITOR = Actor.user('u-1', 'editor@example.com', 'editor')
VIEWER = Actor.user('u-2', 'viewer@example.com', 'viewer')
RUNNER = Actor.api_key('k-1', 'ci', ['deployments:run', 'files:read'])
RUN_ONLY = Actor.api_key('k-2', 'bot', ['deployments:run'])
NAME_SCHEMA = {'type': 'object', 'properties': {'name': {'type': 'string', 'minLength': 2}}, 'required': ['name']}
REPLY_SCHEMA = {'type': 'object', 'properties': {'greeting': {'type': 'string'}}}


def executions(core) -> int:
    with core.session() as session:
        return session.exec(sa.select(sa.func.count()).select_from(Execution)).scalar_one()


def row_of(core, execution_id: str) -> Execution:
    """The row itself, for the columns core keeps to itself (response schema, who asked)."""
    with core.session() as session:
        return session.get(Execution, execution_id)


def store_file(core, content_type='image/png', data=b'\x89PNG fake') -> str:
    stored = StoredFile(filename='f', content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    with core.session() as session:
        session.add(stored)
        session.flush()
        session.add(FileBlob(file_id=stored.id, content=data))
    return stored.id


@pytest.fixture
async def greeter(core):
    """Deployment 'greeter' on the latest version (2) of a prompt with an input and a response schema."""
    create_prompt(core, SYSTEM, name='greet', template='Say hi.')
    prompt = update_prompt(
        core, SYSTEM, 'greet', template='Greet {{name}} warmly.', input_schema=NAME_SCHEMA, response_schema=REPLY_SCHEMA
    )
    options = {'temperature': 0.2, 'topP': 0.9}
    return await create_deployment(
        core, SYSTEM, name='greeter', prompt_id=prompt.id, provider='openai', model='gpt-4o', options=options
    )


@pytest.fixture
async def reader(core):
    """Deployment 'reader' (ollama) of a prompt that takes a file."""
    prompt = create_prompt(core, SYSTEM, name='describe', template='Describe the file.', accepts_file=True)
    return await create_deployment(core, SYSTEM, name='reader', prompt_id=prompt.id, provider='ollama', model='llama3.2')


async def test_run_stores_a_pending_snapshot_with_effective_options(core, greeter):
    execution = await run_deployment(
        core, RUNNER, 'greeter', user_input='{"name": "Ada"}', options={'temperature': 0.7}, trace_id='order-42'
    )
    stored = get_execution(core, SYSTEM, execution.id)
    assert stored.status == 'pending'
    assert (stored.deployment_id, stored.deployment_name, stored.revision) == (greeter.id, 'greeter', 1)
    assert (stored.prompt_id, stored.prompt_version) == (greeter.prompt_id, 2)
    assert (stored.provider, stored.model) == ('openai', 'gpt-4o')
    assert stored.options == {'temperature': 0.7, 'topP': 0.9}
    assert stored.messages == [{'role': 'user', 'content': 'Greet Ada warmly.'}]
    assert row_of(core, execution.id).response_schema == REPLY_SCHEMA
    assert (stored.user_input, stored.trace_id, stored.origin, stored.file_id) == ('{"name": "Ada"}', 'order-42', 'api', None)
    row = row_of(core, execution.id)
    assert (row.api_key_id, row.user_id, stored.attempts) == ('k-1', None, 0)


async def test_a_run_from_the_dashboard_records_the_user(core, greeter):
    execution = await run_deployment(core, EDITOR, 'greeter', user_input='{"name": "Ada"}', origin='ui')
    row = row_of(core, execution.id)
    assert (execution.origin, row.user_id, row.api_key_id) == ('ui', 'u-1', None)


async def test_a_pinned_version_and_the_current_revision_are_used(core, greeter):
    await update_deployment(core, SYSTEM, 'greeter', changes={'prompt_version': 1, 'options': {}})
    execution = await run_deployment(core, RUNNER, greeter.id, user_input='Hello there')
    assert (execution.revision, execution.prompt_version, execution.options) == (2, 1, {})
    assert execution.messages == [{'role': 'system', 'content': 'Say hi.'}, {'role': 'user', 'content': 'Hello there'}]
    assert row_of(core, execution.id).response_schema is None


async def test_run_publishes_created_after_the_row_is_committed(core, greeter):
    async with core.bus.subscribe() as subscription:
        execution = await run_deployment(core, RUNNER, 'greeter', user_input='{"name": "Ada"}')
        event = await subscription.get(timeout=1)
    assert (event.kind, event.execution_id) == ('created', execution.id)
    assert event.data == {'provider': 'openai', 'deploymentName': 'greeter'}
    assert get_execution(core, SYSTEM, event.execution_id).status == 'pending'


@pytest.mark.parametrize(
    ('arguments', 'field', 'message'),
    [
        ({'user_input': ''}, 'userInput', 'must not be empty'),
        ({'user_input': '  '}, 'userInput', 'must not be empty'),
        ({'user_input': 'Ada'}, 'userInput', 'must be JSON'),
        ({'user_input': '{"name": "A"}'}, 'userInput', 'does not match the input schema at $.name'),
        ({'user_input': '{"nom": "Ada"}'}, 'userInput', "'name' is a required property"),
        ({'options': {'temperature': 2}}, 'options.temperature', 'from 0 to 1'),
        ({'options': {'topK': 3}}, 'options.topK', 'openai does not support topK'),
        ({'options': {'stream': True}}, 'options.stream', 'unknown option'),
        ({'trace_id': 'x' * 201}, 'traceId', 'at most 200'),
        ({'origin': 'cron'}, 'origin', 'must be one of'),
        ({'file_id': '123e4567-e89b-12d3-a456-426614174000'}, 'fileId', 'does not accept a file'),
    ],
)
async def test_a_bad_run_is_refused_naming_the_field_and_writes_nothing(core, greeter, arguments, field, message):
    async with core.bus.subscribe() as subscription:
        with pytest.raises(Invalid) as caught:
            await run_deployment(core, RUNNER, 'greeter', **{'user_input': '{"name": "Ada"}', **arguments})
        assert await subscription.get(timeout=0.01) is None
    assert caught.value.field == field
    assert message in caught.value.detail
    assert executions(core) == 0


async def test_a_missing_template_variable_is_named_and_writes_nothing(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='Translate {{text}} into {{language}}.')
    await create_deployment(core, SYSTEM, name='translate', prompt_id=prompt.id, provider='anthropic', model='claude-sonnet-4-5')
    with pytest.raises(Invalid) as caught:
        await run_deployment(core, RUNNER, 'translate', user_input='{"text": "Hallo"}')
    assert (caught.value.field, caught.value.detail) == ('variables.language', "missing variable 'language'")
    assert executions(core) == 0


async def test_variables_fill_the_template_and_are_stored_with_the_input(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='Answer {{name}} in {{language}}: {{input}}')
    await create_deployment(core, SYSTEM, name='answer', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    variables = {'name': 'Ada', 'language': 'French'}
    execution = await run_deployment(core, RUNNER, 'answer', user_input='Where is my order?', variables=variables)
    assert execution.messages == [{'role': 'user', 'content': 'Answer Ada in French: Where is my order?'}]
    stored = get_execution(core, SYSTEM, execution.id)
    assert (stored.user_input, stored.variables) == ('Where is my order?', variables)


async def test_a_variable_missing_from_variables_is_named_and_writes_nothing(core):
    prompt = create_prompt(core, SYSTEM, name='p', template='Translate {{text}} into {{language}}.')
    await create_deployment(core, SYSTEM, name='translate', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    with pytest.raises(Invalid) as caught:
        await run_deployment(core, RUNNER, 'translate', variables={'text': 'Hallo'})
    assert caught.value.field == 'variables.language'
    assert executions(core) == 0


async def test_a_file_needs_the_files_read_scope_and_writes_nothing(core, reader):
    file_id = store_file(core)
    with pytest.raises(Forbidden, match='files:read'):
        await run_deployment(core, RUN_ONLY, 'reader', user_input='What is in it?', file_id=file_id)
    assert executions(core) == 0


async def test_a_prompt_that_accepts_a_file_gets_one(core, reader):
    file_id = store_file(core)
    execution = await run_deployment(core, RUNNER, 'reader', user_input='What is in it?', file_id=file_id)
    assert execution.file_id == file_id


@pytest.mark.parametrize(
    ('file_id', 'message'),
    [
        (None, 'needs a file'),
        ('123e4567-e89b-12d3-a456-426614174000', 'no file'),
        ('not-a-file-id', 'no file'),
        ('pdf', 'ollama does not accept application/pdf files'),
    ],
)
async def test_a_bad_file_is_refused_and_writes_nothing(core, reader, file_id, message):
    if file_id == 'pdf':
        file_id = store_file(core, content_type='application/pdf', data=b'%PDF-1.7')
    with pytest.raises(Invalid) as caught:
        await run_deployment(core, RUNNER, 'reader', user_input='What is in it?', file_id=file_id)
    assert caught.value.field == 'fileId'
    assert message in caught.value.detail
    assert executions(core) == 0


async def test_running_an_unknown_deployment_is_not_found(core, greeter):
    with pytest.raises(NotFound):
        await run_deployment(core, RUNNER, 'nope', user_input='hi')
    assert executions(core) == 0


async def test_running_needs_the_run_permission(core, greeter):
    with pytest.raises(Forbidden):
        await run_deployment(core, VIEWER, 'greeter', user_input='{"name": "Ada"}')
    execution = await run_deployment(core, RUNNER, 'greeter', user_input='{"name": "Ada"}')
    with pytest.raises(Forbidden):
        get_execution(core, RUNNER, execution.id)
    assert get_execution(core, VIEWER, execution.id).id == execution.id


async def test_deleting_a_deployment_keeps_its_executions(core, greeter):
    execution = await run_deployment(core, RUNNER, 'greeter', user_input='{"name": "Ada"}')
    delete_deployment(core, SYSTEM, 'greeter')
    kept = get_execution(core, SYSTEM, execution.id)
    assert (kept.deployment_name, kept.messages) == ('greeter', execution.messages)
    assert list_executions(core, SYSTEM, deployment='greeter').total == 1


def test_an_unknown_execution_is_not_found(core):
    for execution_id in ('123e4567-e89b-12d3-a456-426614174000', 'nope'):
        with pytest.raises(NotFound):
            get_execution(core, SYSTEM, execution_id)


async def test_list_filters_and_pages_newest_first(core, greeter, reader):
    ada = '{"name": "Ada"}'
    first = await run_deployment(core, RUNNER, 'greeter', user_input=ada, trace_id='t-1')
    second = await run_deployment(core, EDITOR, 'greeter', user_input=ada, origin='ui')
    third = await run_deployment(core, RUNNER, 'reader', user_input='x', file_id=store_file(core), trace_id='t-1')
    with core.session() as session:
        session.exec(sa.update(Execution).where(Execution.id == second.id).values(status='completed'))

    def ids(**filters) -> list[str]:
        return [execution.id for execution in list_executions(core, VIEWER, **filters).items]

    assert ids() == [third.id, second.id, first.id]
    assert ids(deployment='greeter') == [second.id, first.id]
    assert ids(deployment=reader.id) == [third.id]
    assert ids(status='completed') == [second.id]
    assert ids(status='pending', trace_id='t-1') == [third.id, first.id]
    assert ids(origin='ui') == [second.id]
    page = list_executions(core, VIEWER, page=2, page_size=2)
    assert ([e.id for e in page.items], page.total, page.page, page.page_size) == ([first.id], 3, 2, 2)


@pytest.mark.parametrize(
    ('filters', 'field'), [({'status': 'done'}, 'status'), ({'origin': 'cli'}, 'origin'), ({'page': 0}, 'page')]
)
def test_list_refuses_bad_filters(core, filters, field):
    with pytest.raises(Invalid) as caught:
        list_executions(core, VIEWER, **filters)
    assert caught.value.field == field


async def test_many_concurrent_runs_each_get_their_own_row_and_event(core, greeter):
    async with core.bus.subscribe() as subscription:
        runs = await asyncio.gather(
            *(run_deployment(core, RUNNER, 'greeter', user_input=f'{{"name": "n{i}"}}') for i in range(20))
        )
        events = [await subscription.get(timeout=1) for _ in runs]
    assert {event.execution_id for event in events} == {run.id for run in runs}
    assert executions(core) == 20
