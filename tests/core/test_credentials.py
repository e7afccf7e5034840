"""Provider credentials: encrypted at rest, shown only as a hint, and saved ones beat the environment."""

import pytest
import sqlalchemy as sa

from core.credentials import credential_info, delete_credential, save_credential
from core.errors import Forbidden, Invalid
from core.permissions import Actor
from core.providers.credential_source import resolve

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
