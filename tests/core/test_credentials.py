"""Provider credentials: encrypted at rest, shown only as a hint, and saved ones beat the environment."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from core.credentials import credential_info, delete_credential, save_credential, try_credential
from core.errors import Forbidden, Invalid
from core.permissions import Actor
from core.providers.base import ProviderError
from core.providers.credential_source import resolve
from data.tables import ProviderCredential

ADMIN = Actor.system()
KEY = 'sk-proj-SECRET-value-4321'


def raw_rows(core) -> list[tuple]:
    with core.db.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text('SELECT * FROM provider_credential'))]


def test_a_saved_key_is_encrypted_at_rest(core):
    save_credential(core, ADMIN, provider='openai', api_key=KEY)

    rows = raw_rows(core)
    assert len(rows) == 1
    assert KEY not in repr(rows) and 'SECRET' not in repr(rows)
    assert resolve(core.settings, core.db, core.box, 'openai')[0] == KEY


def test_the_info_shows_only_a_hint_of_the_key(core):
    info = save_credential(core, ADMIN, provider='anthropic', api_key=KEY, base_url='https://example.test/')

    assert (info.has_api_key, info.api_key_hint, info.base_url, info.source) == (
        True,
        '…4321',
        'https://example.test',
        'database',
    )
    assert KEY not in repr(info)


def test_without_saved_credentials_the_environment_applies(core, fake_llm):
    info = credential_info(core, ADMIN, 'openai')

    assert (info.source, info.base_url) == ('environment', fake_llm.env['OPENAI_BASE_URL'])
    assert info.api_key_hint == '…' + fake_llm.env['OPENAI_API_KEY'][-4:]
    assert resolve(core.settings, core.db, core.box, 'openai') == (
        fake_llm.env['OPENAI_API_KEY'],
        fake_llm.env['OPENAI_BASE_URL'],
    )


def test_the_database_beats_the_environment_value_by_value(core, fake_llm):
    save_credential(core, ADMIN, provider='openai', api_key=KEY)

    assert resolve(core.settings, core.db, core.box, 'openai') == (KEY, fake_llm.env['OPENAI_BASE_URL'])


def test_none_keeps_and_empty_clears(core, fake_llm):
    save_credential(core, ADMIN, provider='openai', api_key=KEY, base_url='http://127.0.0.1:1/v1')
    save_credential(core, ADMIN, provider='openai', base_url='')

    assert resolve(core.settings, core.db, core.box, 'openai') == (KEY, fake_llm.env['OPENAI_BASE_URL'])


def test_deleting_brings_the_environment_back(core, fake_llm):
    save_credential(core, ADMIN, provider='openai', api_key=KEY)
    delete_credential(core, ADMIN, 'openai')

    assert credential_info(core, ADMIN, 'openai').source == 'environment'
    assert raw_rows(core) == []


def test_a_provider_with_nothing_configured_says_none(core):
    core.settings.env.pop('ANTHROPIC_API_KEY')
    core.settings.env.pop('ANTHROPIC_BASE_URL')

    info = credential_info(core, ADMIN, 'anthropic')

    assert (info.has_api_key, info.api_key_hint, info.source) == (False, None, 'none')


def test_only_an_admin_may_save(core):
    editor = Actor.user('u1', 'editor@example.test', 'editor')

    with pytest.raises(Forbidden):
        save_credential(core, editor, provider='openai', api_key=KEY)
    assert raw_rows(core) == []


@pytest.mark.parametrize(
    ('changes', 'field'),
    [
        ({'provider': 'mistral'}, 'provider'),
        ({'provider': 'openai', 'base_url': 'ftp://example.test'}, 'baseUrl'),
    ],
)
def test_bad_values_are_refused_before_writing(core, changes, field):
    with pytest.raises(Invalid) as caught:
        save_credential(core, ADMIN, **{'api_key': KEY, **changes})

    assert caught.value.field == field
    assert raw_rows(core) == []


# a key only ever goes to the URL it was saved with (issue 9, item 9)
class CaptureServer(ThreadingHTTPServer):
    """A host someone might point a provider at: it records the Authorization header of each request."""

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), _CaptureHandler)
        self.authorizations: list[str | None] = []
        self.url = f'http://127.0.0.1:{self.server_address[1]}/v1'


class _CaptureHandler(BaseHTTPRequestHandler):
    server: CaptureServer

    def do_GET(self) -> None:
        self.server.authorizations.append(self.headers.get('Authorization'))
        body = json.dumps({'object': 'list', 'data': [{'id': 'captured-model', 'object': 'model'}]}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    server = CaptureServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_saving_only_a_url_is_refused_so_the_environment_key_stays_home(core, capture):
    with pytest.raises(Invalid) as caught:
        save_credential(core, ADMIN, provider='openai', base_url=capture.url)

    assert caught.value.field == 'apiKey' and 'OPENAI_API_KEY' in caught.value.detail
    assert raw_rows(core) == []


async def test_a_url_saved_without_a_key_never_gets_the_environment_key(core, capture, fake_llm):
    with core.session() as session:  # as an older version let an admin save it
        session.add(ProviderCredential(provider='openai', base_url=capture.url))

    with pytest.raises(ProviderError, match='no OpenAI API key'):
        await core.registry.models('openai', refresh=True)

    assert capture.authorizations == []
    assert resolve(core.settings, core.db, core.box, 'openai') == (None, capture.url)
    assert credential_info(core, ADMIN, 'openai').has_api_key is False


async def test_a_url_saved_with_its_key_gets_that_key_alone(core, capture, fake_llm):
    save_credential(core, ADMIN, provider='openai', api_key=KEY, base_url=capture.url)

    assert await core.registry.models('openai', refresh=True) == ['captured-model']

    assert capture.authorizations == [f'Bearer {KEY}']
    assert fake_llm.env['OPENAI_API_KEY'] not in repr(capture.authorizations)


def test_a_saved_key_is_not_moved_to_a_new_url_without_entering_it_again(core, capture, fake_llm):
    save_credential(core, ADMIN, provider='anthropic', api_key=KEY, base_url=fake_llm.env['ANTHROPIC_BASE_URL'])

    with pytest.raises(Invalid) as caught:
        save_credential(core, ADMIN, provider='anthropic', base_url=capture.url)

    assert caught.value.field == 'apiKey'
    assert resolve(core.settings, core.db, core.box, 'anthropic') == (KEY, fake_llm.env['ANTHROPIC_BASE_URL'])


def test_an_ollama_url_needs_no_key(core):
    info = save_credential(core, ADMIN, provider='ollama', base_url='http://127.0.0.1:11434')

    assert (info.base_url, info.has_api_key, info.source) == ('http://127.0.0.1:11434', False, 'database')


# Test connection tries what is typed, saves nothing, and never sends a key in use to a URL just typed
async def test_testing_a_typed_url_and_key_sends_that_key_there_and_saves_nothing(core, capture, fake_llm):
    assert await try_credential(core, ADMIN, provider='openai', api_key=KEY, base_url=capture.url) == ['captured-model']

    assert capture.authorizations == [f'Bearer {KEY}']
    assert raw_rows(core) == []


async def test_testing_a_typed_url_without_a_key_never_sends_the_key_in_use(core, capture, fake_llm):
    with pytest.raises(Invalid) as caught:
        await try_credential(core, ADMIN, provider='openai', api_key=None, base_url=capture.url)

    assert caught.value.field == 'apiKey'
    assert capture.authorizations == []


async def test_only_an_admin_may_test_typed_credentials(core, capture):
    editor = Actor.user('u1', 'editor@example.test', 'editor')

    with pytest.raises(Forbidden):
        await try_credential(core, editor, provider='openai', api_key=KEY, base_url=capture.url)
    assert capture.authorizations == []
