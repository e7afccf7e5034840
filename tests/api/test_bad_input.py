"""Bad input for every endpoint that takes a body or a path value: a 4xx in the documented shape naming the field,
never a 500, and nothing written. (The run endpoint's cases are in test_runs.py, uploads' in test_files.py.)"""

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tests.api.conftest import assert_error, create_deployment, create_prompt

UNKNOWN_ID = '0b7f4a0e-3c57-4c3f-9a57-41a3c1e2d111'
DEEP_JSON = '[' * 100_000 + ']' * 100_000  # deeper than any parser recurses
DEEP_SCHEMA: dict = {}
for _ in range(300):  # parses as a body on every Python, too deep for the schema checker
    DEEP_SCHEMA = {'items': DEEP_SCHEMA}
DEPLOYMENT = {'name': 'new-bot', 'promptId': '{prompt}', 'provider': 'openai', 'model': 'gpt-4o-mini'}
CASES = [
    # deployments
    ('POST', '/deployments', {**DEPLOYMENT, 'name': 'Not A Slug'}, 422, 'name'),
    ('POST', '/deployments', {**DEPLOYMENT, 'name': UNKNOWN_ID}, 422, 'name'),
    ('POST', '/deployments', {**DEPLOYMENT, 'name': 'x' * 101}, 422, 'name'),
    ('POST', '/deployments', {**DEPLOYMENT, 'promptId': UNKNOWN_ID}, 422, 'promptId'),
    ('POST', '/deployments', {**DEPLOYMENT, 'promptVersion': 9}, 422, 'promptVersion'),
    ('POST', '/deployments', {**DEPLOYMENT, 'provider': 'acme'}, 422, 'provider'),
    ('POST', '/deployments', {**DEPLOYMENT, 'model': 'gpt-99'}, 422, 'model'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'temperature': -0.1}}, 422, 'options.temperature'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'topK': 3}}, 422, 'options.topK'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'topK': 0}, 'provider': 'ollama', 'model': 'qwen3'}, 422, 'options.topK'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'maxTokens': 0}}, 422, 'options.maxTokens'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'maxTokens': 2**31}}, 422, 'options.maxTokens'),
    ('POST', '/deployments', {**DEPLOYMENT, 'options': {'maxTokens': 'lots'}}, 422, 'options.maxTokens'),
    ('POST', '/deployments', {k: v for k, v in DEPLOYMENT.items() if k != 'model'}, 422, 'model'),
    ('PATCH', '/deployments/support-bot', {'name': 'renamed'}, 422, 'name'),
    ('PATCH', '/deployments/support-bot', {'model': 'gpt-99'}, 422, 'model'),
    ('PATCH', '/deployments/support-bot', {'provider': 'anthropic'}, 422, 'model'),
    ('PATCH', '/deployments/support-bot', {'options': {'topP': 7}}, 422, 'options.topP'),
    ('PATCH', '/deployments/support-bot', {'promptId': UNKNOWN_ID}, 422, 'promptId'),
    ('PATCH', '/deployments/support-bot', {'revision': 3}, 422, 'revision'),
    ('PATCH', '/deployments/no-such-bot', {'model': 'gpt-4o'}, 404, None),
    ('GET', '/deployments/no-such-bot', None, 404, None),
    ('GET', f'/deployments/{UNKNOWN_ID}', None, 404, None),
    ('DELETE', '/deployments/no-such-bot', None, 404, None),
    ('GET', '/deployments/no-such-bot/revisions', None, 404, None),
    ('POST', '/deployments/no-such-bot/run', {'userInput': 'hi'}, 404, None),
    ('POST', '/deployments/support-bot/run', {'userInput': 'hi', 'options': {'maxTokens': -1}}, 422, 'options.maxTokens'),
    ('POST', '/deployments/support-bot/run', {'userInput': DEEP_JSON}, 422, 'userInput'),
    ('POST', '/deployments/support-bot/run', {'userInput': 'hi', 'variables': ['a']}, 422, 'variables'),
    ('POST', '/deployments/support-bot/run', {'variables': {}}, 422, 'userInput'),
    ('POST', '/deployments/support-bot/run', {}, 422, 'userInput'),
    # prompts
    ('POST', '/prompts', {'name': '', 'template': 'x'}, 422, 'name'),
    ('POST', '/prompts', {'name': UNKNOWN_ID, 'template': 'x'}, 422, 'name'),
    ('POST', '/prompts', {'name': 'p'}, 422, 'template'),
    ('POST', '/prompts', {'name': 'p', 'template': '{{#open}} never closed'}, 422, 'template'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'inputSchema': {'type': 'nonsense'}}, 422, 'inputSchema'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'responseSchema': [1]}, 422, 'responseSchema'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'inputSchema': DEEP_SCHEMA}, 422, 'inputSchema'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'inputSchema': {'pattern': '(a)\\1'}}, 422, 'inputSchema'),
    ('POST', '/prompts', {'name': 'p', 'template': '{{#a}}' * 5000 + '{{/a}}' * 5000}, 422, 'template'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'acceptsFile': 'maybe'}, 422, 'acceptsFile'),
    ('PATCH', '/prompts/greeter', {'template': '   '}, 422, 'template'),
    ('PATCH', '/prompts/greeter', {'name': 'spare'}, 409, None),
    ('PATCH', '/prompts/no-such-prompt', {'template': 'x'}, 404, None),
    ('GET', '/prompts/no-such-prompt', None, 404, None),
    ('GET', '/prompts/greeter?version=9', None, 404, None),
    ('GET', '/prompts/greeter?version=0', None, 422, 'version'),
    ('DELETE', '/prompts/no-such-prompt', None, 404, None),
    ('GET', '/prompts/no-such-prompt/versions', None, 404, None),
    ('POST', '/prompts/no-such-prompt/preview', {'userInput': 'hi'}, 404, None),
    ('POST', '/prompts/greeter/preview', {'userInput': 'hi', 'version': 0}, 422, 'version'),
    ('POST', '/prompts/greeter/preview', {}, 422, 'userInput'),
    ('POST', '/prompts/greeter/preview', {'userInput': DEEP_JSON}, 422, 'userInput'),
    # executions, files, providers
    ('GET', f'/executions/{UNKNOWN_ID}', None, 404, None),
    ('GET', '/executions/not-an-id/events', None, 404, None),
    ('POST', f'/executions/{UNKNOWN_ID}/cancel', None, 404, None),
    ('GET', f'/files/{UNKNOWN_ID}', None, 404, None),
    ('GET', '/files/not-an-id/content', None, 404, None),
    ('DELETE', f'/files/{UNKNOWN_ID}', None, 404, None),
    ('GET', '/providers/acme/models', None, 404, None),
    # keys (their fields' cases are in test_keys_api.py)
    ('PATCH', f'/keys/{UNKNOWN_ID}', {'concurrentRuns': 1}, 404, None),
    ('DELETE', f'/keys/{UNKNOWN_ID}', None, 404, None),
    ('DELETE', '/keys/not-an-id', None, 404, None),
    ('DELETE', '/keys/key%00', None, 404, None),
    # NUL characters, which PostgreSQL cannot store and SQLite would: refused alike on both (issue 9, item 11)
    ('POST', '/prompts', {'name': 'gree\x00ter', 'template': 'x'}, 422, 'name'),
    ('POST', '/prompts', {'name': 'p', 'template': 'Hi\x00 there'}, 422, 'template'),
    ('POST', '/prompts', {'name': 'p', 'template': 'x', 'inputSchema': {'title': 'a\x00'}}, 422, 'inputSchema.title'),
    ('PATCH', '/prompts/greeter', {'template': '\x00'}, 422, 'template'),
    ('POST', '/deployments/support-bot/run', {'userInput': 'hi\x00'}, 422, 'userInput'),
    ('POST', '/deployments/support-bot/run', {'userInput': 'hi', 'traceId': 't\x00'}, 422, 'traceId'),
    ('POST', '/deployments/support-bot/run', {'userInput': 'hi', 'variables': {'a': ['\x00']}}, 422, 'variables.a[0]'),
    ('POST', '/deployments', {**DEPLOYMENT, 'promptId': 'greeter\x00'}, 422, 'promptId'),
    ('GET', '/deployments/support%00bot', None, 404, None),
    ('GET', '/prompts/greeter%00', None, 404, None),
    ('GET', '/prompts?search=%00', None, 422, 'search'),
    ('GET', '/deployments?search=bot%00', None, 422, 'search'),
    ('GET', '/executions?traceId=%00', None, 422, 'traceId'),
    ('GET', '/executions?deployment=bot%00', None, 422, 'deployment'),
]  # fmt: skip
CODES = {404: 'not_found', 409: 'conflict', 422: 'invalid'}


@pytest.fixture
async def existing(client, admin) -> dict[str, str]:
    prompt = await create_prompt(client, admin)
    await create_prompt(client, admin, name='spare')
    await create_deployment(client, admin, prompt['id'], name='support-bot')
    return {'prompt': prompt['id']}


@pytest.mark.parametrize(
    ('method', 'path', 'body', 'status', 'field'), CASES, ids=[f'{c[0]} {c[1]} {c[4] or c[3]}' for c in CASES]
)
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    client, admin, core, existing, method, path, body, status, field
):
    before = row_counts(core)
    body = (
        {k: v.replace('{prompt}', existing['prompt']) if isinstance(v, str) else v for k, v in body.items()}
        if body is not None
        else None
    )
    assert_error(await client.request(method, path, json=body, headers=admin), status, CODES[status], field)
    assert row_counts(core) == before


async def test_nan_and_infinity_are_not_numbers_we_take(client, admin, existing):
    for raw in (b'NaN', b'Infinity'):
        body = b'{"userInput": "hi", "options": {"temperature": ' + raw + b'}}'
        response = await client.post(
            '/deployments/support-bot/run', content=body, headers={**admin, 'Content-Type': 'application/json'}
        )
        assert_error(response, 422, 'invalid', 'options.temperature')


def row_counts(core) -> dict[str, int]:
    """Rows per table, but the log of refused runs: a refused run's one write is its line there (test_refused_runs)."""
    with core.session() as session:
        return {
            t.name: session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
            if t.name != 'refused_run'
        }
