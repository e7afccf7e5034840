"""Every failure has the documented shape; health needs no key; the OpenAPI document declares both key schemes."""

import re

import pytest

from data.db import make_engine
from tests.api.conftest import assert_error


async def test_an_unknown_route_is_404_in_the_error_shape(client, admin):
    assert_error(await client.get('/nothing/here', headers=admin), 404, 'not_found')
    assert_error(await client.get('/nothing/here'), 404, 'not_found')


async def test_a_path_with_a_line_break_still_gets_the_error_shape(client, admin):
    assert_error(await client.get('/deployments/a%0Ab', headers=admin), 404, 'not_found')


async def test_a_wrong_method_is_405_in_the_error_shape_with_allow(client, admin):
    response = await client.put('/deployments', headers=admin)
    assert_error(response, 405, 'method_not_allowed')
    assert 'GET' in response.headers['allow']


@pytest.mark.parametrize(
    ('content', 'content_type', 'field'),
    [
        (b'', 'application/json', 'body'),
        (b'[1, 2]', 'application/json', 'body'),
        (b'{"name": "x", "template": ', 'application/json', 'body'),
        (b'name=x', 'application/x-www-form-urlencoded', 'body'),
        (b'\xff\xfe', 'application/json', 'body'),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422_naming_the_body(client, admin, content, content_type, field):
    response = await client.post('/prompts', content=content, headers={**admin, 'Content-Type': content_type})
    assert_error(response, 422, 'invalid', field)


async def test_validation_errors_name_every_field_in_camel_case(client, admin):
    body = {'name': 'Not A Slug', 'promptId': 'p', 'promptVersion': 0, 'provider': 'acme', 'model': '', 'options': {'topP': 2}}
    error = assert_error(await client.post('/deployments', json=body, headers=admin), 422, 'invalid')
    assert {d['field'] for d in error['details']} == {'name', 'promptVersion', 'provider', 'model', 'options.topP'}


async def test_unknown_fields_are_refused_not_ignored(client, admin):
    error = assert_error(
        await client.post('/prompts', json={'name': 'x', 'template': 'y', 'accepts_file': True}, headers=admin), 422, 'invalid'
    )
    assert [d['field'] for d in error['details']] == ['accepts_file']


async def test_bad_query_values_name_the_parameter(client, admin):
    assert_error(await client.get('/deployments', params={'orderBy': 'colour'}, headers=admin), 422, 'invalid', 'orderBy')
    assert_error(await client.get('/deployments', params={'pageSize': 1000}, headers=admin), 422, 'invalid', 'pageSize')
    assert_error(await client.get('/executions', params={'status': 'done'}, headers=admin), 422, 'invalid', 'status')
    assert_error(await client.get('/executions', params={'page': 0}, headers=admin), 422, 'invalid', 'page')


async def test_health_needs_no_key_and_checks_the_database(client):
    response = await client.get('/health')
    assert response.status_code == 200 and response.json() == {'status': 'ok', 'database': 'ok'}


async def test_health_is_503_when_the_database_is_gone(client, core):
    core.db.dispose()
    core.db = make_engine('sqlite:////nonexistent/dir/hypersigil.db')
    response = await client.get('/health')
    assert response.status_code == 503 and response.json() == {'status': 'error', 'database': 'unreachable'}


async def test_openapi_declares_bearer_and_x_api_key_and_every_route_uses_them(client):
    spec = (await client.get('/openapi.json')).json()
    schemes = spec['components']['securitySchemes']
    assert schemes['bearer'] == {
        'type': 'http',
        'scheme': 'bearer',
        'bearerFormat': 'hs_…',
        'description': '`Authorization: Bearer hs_…`',
    }
    assert schemes['apiKey']['in'] == 'header' and schemes['apiKey']['name'] == 'X-API-Key'
    for path, operations in spec['paths'].items():
        for method, operation in operations.items():
            expected = [] if path == '/health' else [{'bearer': []}, {'apiKey': []}]
            assert operation.get('security', []) == expected, (method, path)
    error = spec['components']['schemas']['ErrorResponse']
    assert error['properties']['error']['$ref'].endswith('/ErrorBody')


async def test_the_records_in_openapi_come_from_core_views_and_list_the_words_of_each_enum(client):
    schemas = (await client.get('/openapi.json')).json()['components']['schemas']
    execution = schemas['ExecutionPublic']
    assert execution['description'] == 'One run: the snapshot of what ran, its status and its outcome.'
    words = {name: schemas[execution['properties'][name]['$ref'].rsplit('/', 1)[-1]]['enum'] for name in ('status', 'origin')}
    assert words == {'status': ['pending', 'running', 'completed', 'failed', 'cancelled'], 'origin': ['ui', 'api', 'openai']}
    for record in ('ExecutionPublic', 'DeploymentPublic', 'ProviderPublic'):
        provider = schemas[record]['properties'].get('provider') or schemas[record]['properties']['name']
        assert schemas[provider['$ref'].rsplit('/', 1)[-1]]['enum'] == ['openai', 'anthropic', 'ollama']
    assert schemas['FilePublic']['required'] == ['id', 'filename', 'contentType', 'size', 'sha256', 'createdBy', 'createdAt']


async def test_the_docs_page_points_at_the_mounted_spec(client):
    page = await client.get('/docs')
    assert page.status_code == 200 and '/api/v1/openapi.json' in page.text


async def test_the_docs_page_loads_swagger_ui_from_this_process_not_a_cdn(client):
    page = await client.get('/docs')
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith('/api/v1/docs/assets/') for url in assets), assets
    for url in assets:
        response = await client.get(url.removeprefix('/api/v1'))
        assert response.status_code == 200 and len(response.content) > 100, url
    assert 'cdn' not in page.text.lower()
