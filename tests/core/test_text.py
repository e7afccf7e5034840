"""NUL characters are refused in text alike on SQLite and PostgreSQL, naming the field, before anything is written
(issue 9, item 11)."""

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from core import api_keys, credentials, users
from core.deployments import create_deployment
from core.errors import Invalid, NotFound, Unauthorized
from core.execution_listing import list_executions
from core.executions import run_deployment
from core.prompts import create_prompt, get_prompt, list_prompts
from core.text import reject_nul
from tests.actors import SYSTEM


def row_counts(core) -> dict[str, int]:
    with core.session() as session:
        return {
            t.name: session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.mark.parametrize(
    ('fields', 'named'),
    [
        ({'name': 'a\x00b'}, 'name'),
        ({'schema': {'properties': {'x': {'description': '\x00'}}}}, 'schema.properties.x.description'),
        ({'schema': {'required': ['ok', 'n\x00']}}, 'schema.required[1]'),
        ({'schema': {'properties': {'k\x00': {}}}}, 'schema.properties'),
    ],
)
def test_the_field_holding_a_nul_is_named_however_deep(fields, named):
    with pytest.raises(Invalid) as caught:
        reject_nul(**fields)

    assert caught.value.field == named


def test_text_without_nul_passes():
    reject_nul(name='plain', schema={'enum': ['a', 1, None]}, missing=None)


@pytest.fixture
async def deployment(core):
    prompt = create_prompt(core, SYSTEM, name='greet', template='Say hi.')
    return await create_deployment(core, SYSTEM, name='greeter', prompt_id=prompt.id, provider='openai', model='gpt-4o')


WRITES = {
    'prompt name': (lambda core: create_prompt(core, SYSTEM, name='p\x00', template='x'), 'name'),
    'prompt template': (lambda core: create_prompt(core, SYSTEM, name='p', template='x\x00'), 'template'),
    'api key name': (lambda core: api_keys.create_api_key(core, SYSTEM, name='ci\x00', scopes=['prompts:read']), 'name'),
    'user email': (
        lambda core: users.create_user(core, SYSTEM, email='ada\x00@example.com', password='long enough pw', role='viewer'),
        'email',
    ),
    'provider URL': (
        lambda core: credentials.save_credential(core, SYSTEM, provider='openai', api_key='sk-x', base_url='http://h\x00/v1'),
        'baseUrl',
    ),
}


@pytest.mark.parametrize('write', WRITES)
async def test_a_write_with_a_nul_is_refused_and_writes_nothing(core, deployment, write):
    call, field = WRITES[write]
    before = row_counts(core)

    with pytest.raises(Invalid) as caught:
        call(core)

    assert caught.value.field == field
    assert row_counts(core) == before


@pytest.mark.parametrize(('changes', 'field'), [({'user_input': 'hi\x00'}, 'userInput'), ({'trace_id': 't\x00'}, 'traceId')])
async def test_a_run_with_a_nul_is_refused_and_queues_nothing(core, deployment, changes, field):
    before = row_counts(core)

    with pytest.raises(Invalid) as caught:
        await run_deployment(core, SYSTEM, 'greeter', **{'user_input': 'hi', **changes})

    assert caught.value.field == field
    assert row_counts(core) == before


async def test_lookups_and_searches_with_a_nul_answer_without_asking_the_database(core, deployment):
    with pytest.raises(Unauthorized):
        users.authenticate(core, email='ada\x00@example.com', password='whatever it is', address='192.0.2.1')
    with pytest.raises(NotFound):
        get_prompt(core, SYSTEM, 'greet\x00')
    with pytest.raises(Invalid, match='search'):
        list_prompts(core, SYSTEM, search='gr\x00')
    with pytest.raises(Invalid, match='traceId'):
        list_executions(core, SYSTEM, trace_id='\x00')
