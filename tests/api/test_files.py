"""Files over the API: upload with size and type checks, metadata, download, list, delete."""

import dataclasses
import hashlib

import pytest
import sqlalchemy as sa

from data.tables import FileBlob, StoredFile
from tests.api.conftest import assert_error, upload

PDF = b'%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'
LIMIT_MB = 0.01  # about 10 KB, so oversize bodies stay small


@pytest.fixture
def settings(settings):
    """The usual settings with a small upload limit."""
    return dataclasses.replace(settings, env={**settings.env, 'HYPERSIGIL_MAX_UPLOAD_MB': str(LIMIT_MB)})


async def test_upload_returns_201_with_metadata_and_the_bytes_come_back(client, admin):
    response = await upload(client, admin, PDF, content_type='application/pdf', name='../../etc/report.pdf')
    assert response.status_code == 201, response.text
    meta = response.json()
    assert (meta['filename'], meta['contentType'], meta['size']) == ('report.pdf', 'application/pdf', len(PDF))
    assert meta['sha256'] == hashlib.sha256(PDF).hexdigest()
    assert (await client.get(f'/files/{meta["id"]}', headers=admin)).json() == meta
    content = await client.get(f'/files/{meta["id"]}/content', headers=admin)
    assert content.content == PDF and content.headers['content-type'] == 'application/pdf'
    assert 'report.pdf' in content.headers['content-disposition']


async def test_a_file_sent_as_octet_stream_gets_the_type_its_bytes_show(client, admin):
    meta = (await upload(client, admin, PDF, content_type='application/octet-stream', name='x.bin')).json()
    assert meta['contentType'] == 'application/pdf'


async def test_list_and_delete(client, admin, core):
    first = (await upload(client, admin, b'one')).json()
    second = (await upload(client, admin, b'two')).json()
    listed = (await client.get('/files', headers=admin)).json()
    assert listed['total'] == 2 and {f['id'] for f in listed['items']} == {first['id'], second['id']}
    assert (await client.delete(f'/files/{first["id"]}', headers=admin)).status_code == 204
    assert_error(await client.get(f'/files/{first["id"]}/content', headers=admin), 404, 'not_found')
    assert count(core, FileBlob) == 1


async def test_an_oversize_upload_is_413_and_nothing_is_stored(client, admin, core):
    big = b'a' * int(LIMIT_MB * 1024 * 1024 + 1)
    error = assert_error(await upload(client, admin, big), 413, 'too_large')
    assert 'limit' in error['message']
    assert count(core, StoredFile) == count(core, FileBlob) == 0


async def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(client, admin, core):
    response = await client.post(
        '/files',
        content=b'x',
        headers={**admin, 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': '999999999'},
    )
    assert_error(response, 413, 'too_large')


async def test_a_streamed_body_over_the_limit_is_cut_off_with_413(client, admin, core):
    async def chunks():  # valid multipart, sent without a Content-Length
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n'
        for _ in range(200):
            yield b'x' * 1000
        yield b'\r\n--b--\r\n'

    response = await client.post('/files', content=chunks(), headers={**admin, 'Content-Type': 'multipart/form-data; boundary=b'})
    assert_error(response, 413, 'too_large')
    assert count(core, StoredFile) == 0


async def test_a_json_body_over_2_mb_is_413(client, admin, core):
    response = await client.post('/prompts', json={'name': 'x', 'template': 'y' * (2 * 1024 * 1024)}, headers=admin)
    assert_error(response, 413, 'too_large')


@pytest.mark.parametrize(
    ('data', 'content_type', 'status', 'code'),
    [
        (b'<html></html>', 'text/html', 415, 'unsupported_media_type'),
        (b'MZ\x90\x00', 'application/x-msdownload', 415, 'unsupported_media_type'),
        (b'not really a png', 'image/png', 422, 'invalid'),
        (b'\xff\xfe\x00binary', 'text/plain', 422, 'invalid'),
        (b'', 'text/plain', 422, 'invalid'),
    ],
)
async def test_a_wrong_type_is_refused_and_nothing_is_stored(client, admin, core, data, content_type, status, code):
    error = assert_error(await upload(client, admin, data, content_type=content_type), status, code)
    if status == 422:
        assert [d['field'] for d in error['details']] == ['file']
    assert count(core, StoredFile) == 0


async def test_an_upload_without_the_file_field_is_422_naming_it(client, admin):
    response = await client.post('/files', files={'other': ('a.txt', b'a', 'text/plain')}, headers=admin)
    assert_error(response, 422, 'invalid', 'file')


def count(core, table) -> int:
    with core.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


async def test_a_broken_multipart_body_is_422_naming_the_body(client, admin):
    response = await client.post(
        '/files', content=b'--b\r\ngarbage--b--\r\n', headers={**admin, 'Content-Type': 'multipart/form-data; boundary=b'}
    )
    assert_error(response, 422, 'invalid', 'body')
