"""GET /executions: excerpts only, full-text search, a date range and the order, each bad value a 422 naming it."""

import pytest

from tests.api.conftest import assert_error, create_deployment, create_prompt


@pytest.fixture
async def deployment(client, admin) -> None:
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])


async def run(client, headers, user_input: str) -> str:
    response = await client.post('/deployments/support-bot/run', json={'userInput': user_input}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()['executionId']


async def test_the_list_carries_excerpts_and_the_record_everything(client, admin, deployment):
    execution_id = await run(client, admin, 'long ' * 100_000)
    listed = (await client.get('/executions', headers=admin)).json()['items'][0]
    assert (len(listed['userInput']), listed['userInput'][-1], listed['messages']) == (201, '…', [])
    whole = (await client.get(f'/executions/{execution_id}', headers=admin)).json()
    assert len(whole['userInput']) == 500_000
    assert whole['messages'][-1]['content'] == whole['userInput']


async def test_search_dates_and_order_narrow_the_list(client, admin, deployment):
    invoice = await run(client, admin, 'the Acme invoice')
    other = await run(client, admin, 'something else')

    async def ids(**params) -> list[str]:
        response = await client.get('/executions', params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [item['id'] for item in response.json()['items']]

    assert await ids(search='acme INV') == [invoice]
    assert await ids(order='asc') == [invoice, other]
    assert await ids(**{'from': '2000-01-01T00:00:00', 'to': '2000-01-02T00:00:00Z'}) == []
    assert await ids(**{'from': '2000-01-01'}) == [other, invoice]


@pytest.mark.parametrize(
    ('params', 'field'),
    [
        ({'search': '...'}, 'search'),
        ({'search': 'x' * 201}, 'search'),
        ({'from': 'last week'}, 'from'),
        ({'to': '2026-13-01'}, 'to'),
        ({'from': '2026-01-02', 'to': '2026-01-01'}, 'to'),
        ({'order': 'newest'}, 'order'),
        ({'from': '0001-01-01T00:00:00+01:00'}, 'from'),
    ],
)
async def test_bad_search_dates_or_order_are_422_naming_the_field(client, admin, params, field):
    response = await client.get('/executions', params=params, headers=admin)
    assert_error(response, 422, 'invalid')
    assert field in [detail['field'] for detail in response.json()['error']['details']]
