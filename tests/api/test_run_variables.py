"""A run's `variables` beside `userInput` (DESIGN §4 Variables), and what a run's answer shows a key (issue 9, item 14)."""

import pytest
import sqlalchemy as sa

from data.tables import Execution
from tests.api.conftest import assert_error, create_deployment, create_prompt, upload
from tests.api.test_runs import parse_sse

RUN = '/deployments/support-bot/run'
TEMPLATE = 'Answer {{name}} in {{language}}: {{input}}'


@pytest.fixture
async def deployment(client, admin) -> dict:
    prompt = await create_prompt(client, admin, template=TEMPLATE)
    return await create_deployment(client, admin, prompt['id'])


def executions(core) -> int:
    with core.db.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(Execution)).scalar_one()


async def test_a_run_with_variables_renders_them_and_keeps_them(client, admin, deployment):
    body = {'userInput': 'Where is my order?', 'variables': {'name': 'Ada', 'language': 'French'}}
    run = (await client.post(RUN, json=body, headers=admin)).json()
    execution = (await client.get(f'/executions/{run["executionId"]}', headers=admin)).json()

    assert execution['messages'] == [{'role': 'user', 'content': 'Answer Ada in French: Where is my order?'}]
    assert (execution['userInput'], execution['variables']) == ('Where is my order?', body['variables'])


async def test_variables_alone_run_a_template_without_input(client, admin):
    prompt = await create_prompt(client, admin, name='greeting', template='Greet {{name}} from {{city}}.')
    await create_deployment(client, admin, prompt['id'], name='greeter')
    body = {'variables': {'name': 'Ada', 'city': 'Oslo'}}
    run = (await client.post('/deployments/greeter/run', json=body, headers=admin)).json()
    execution = (await client.get(f'/executions/{run["executionId"]}', headers=admin)).json()

    assert execution['messages'] == [{'role': 'user', 'content': 'Greet Ada from Oslo.'}]


async def test_the_old_json_string_form_still_fills_the_variables(client, admin, deployment):
    user_input = '{"name": "Ada", "language": "French"}'
    run = (await client.post(RUN, json={'userInput': user_input}, headers=admin)).json()
    execution = (await client.get(f'/executions/{run["executionId"]}', headers=admin)).json()

    assert execution['messages'][0]['content'] == f'Answer Ada in French: {user_input}'


async def test_a_missing_variable_is_422_naming_it_and_writes_nothing(client, core, admin, deployment):
    body = {'userInput': 'Where is my order?', 'variables': {'name': 'Ada'}}
    response = await client.post(RUN, json=body, headers=admin)

    error = assert_error(response, 422, 'invalid', 'variables.language')
    assert "'language'" in error['message']
    assert executions(core) == 0


@pytest.mark.parametrize('variables', [['Ada'], 'Ada', 3, True])
async def test_variables_that_are_not_an_object_are_422_and_write_nothing(client, core, admin, deployment, variables):
    response = await client.post(RUN, json={'userInput': 'hi', 'variables': variables}, headers=admin)

    assert_error(response, 422, 'invalid', 'variables')
    assert executions(core) == 0


@pytest.mark.parametrize('body', [{}, {'variables': None}, {'userInput': None}])
async def test_a_run_without_input_or_variables_is_422_and_writes_nothing(client, core, admin, deployment, body):
    response = await client.post(RUN, json=body, headers=admin)

    assert_error(response, 422, 'invalid', 'userInput')
    assert executions(core) == 0


async def test_variables_nested_too_deeply_are_422(client, core, admin, deployment):
    deep = '{"a": ' * 100_000 + '1' + '}' * 100_000
    body = '{"userInput": "hi", "variables": {"name": ' + deep + ', "language": "x"}}'
    response = await client.post(RUN, content=body, headers={**admin, 'Content-Type': 'application/json'})

    assert response.status_code == 422, response.text
    assert executions(core) == 0


async def test_a_nul_character_in_a_variable_is_422_naming_it(client, core, admin, deployment):
    body = {'userInput': 'hi', 'variables': {'name': 'A\u0000da', 'language': 'French'}}
    response = await client.post(RUN, json=body, headers=admin)

    assert_error(response, 422, 'invalid', 'variables.name')
    assert executions(core) == 0


async def test_a_file_needs_files_read_and_nothing_is_written(client, core, admin, make_key):
    prompt = await create_prompt(client, admin, name='reader', template='Describe the file.', acceptsFile=True)
    await create_deployment(client, admin, prompt['id'], name='reader')
    file_id = (await upload(client, admin, b'\x89PNG\r\n\x1a\n' + b'\x00' * 32, content_type='image/png')).json()['id']
    run_only = {'Authorization': f'Bearer {make_key("deployments:run")}'}
    body = {'userInput': 'What is in it?', 'fileId': file_id}

    refused = await client.post('/deployments/reader/run', json=body, headers=run_only)
    allowed = {'Authorization': f'Bearer {make_key("deployments:run", "files:read")}'}
    accepted = await client.post('/deployments/reader/run', json=body, headers=allowed)

    assert_error(refused, 403, 'forbidden')
    assert 'files:read' in refused.json()['error']['message']
    assert accepted.status_code == 202
    assert executions(core) == 1


@pytest.fixture
def variables_body() -> dict:
    return {'userInput': 'hi', 'variables': {'name': 'Ada', 'language': 'French'}}


async def test_a_waited_answer_leaves_the_messages_out_for_a_key_without_executions_read(
    client, make_key, deployment, worker, variables_body
):
    run_only = {'Authorization': f'Bearer {make_key("deployments:run")}'}
    reader = {'Authorization': f'Bearer {make_key("deployments:run", "executions:read")}'}
    hidden = (await client.post(f'{RUN}?wait=10', json=variables_body, headers=run_only)).json()
    shown = (await client.post(f'{RUN}?wait=10', json=variables_body, headers=reader)).json()

    assert hidden['status'] == 'completed' and 'messages' not in hidden
    assert shown['messages'] == [{'role': 'user', 'content': 'Answer Ada in French: hi'}]


async def test_a_streamed_answer_leaves_the_messages_out_for_a_key_without_executions_read(
    client, make_key, deployment, worker, variables_body
):
    run_only = {'Authorization': f'Bearer {make_key("deployments:run")}'}
    response = await client.post(f'{RUN}?stream=true', json=variables_body, headers=run_only)
    record = parse_sse(response.text)[-1]

    assert record[0] == 'execution' and record[1]['status'] == 'completed'
    assert 'messages' not in record[1]
