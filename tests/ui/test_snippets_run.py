"""The snippets as the deployment page shows them, copied and run (curl, Python, Node) against a running app."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from core import api_keys
from core.permissions import Actor
from tests.e2e.server import running_app
from tests.ui.conftest import make_deployment, make_prompt, marked, signed_in

PAGE_BASE = 'http://test'  # where the `user` fixture's browser is: the snippets name it


@pytest.fixture
def api_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker in the dashboard's process (asked for before `user` starts it): the running app runs the snippets' runs."""
    monkeypatch.setenv('HYPERSIGIL_WORKERS', '0')


@pytest.fixture
def app_url(api_only, dashboard_env: dict[str, str], tmp_path: Path):
    """`python main.py` on the dashboard's database, with its secret (so the keys made here verify there)."""
    with running_app(tmp_path, {**dashboard_env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'app-data')}) as url:
        yield url


@pytest.fixture
def key_env(seed) -> dict[str, str]:
    created = api_keys.create_api_key(seed, Actor.system(), name='snippets', scopes=['deployments:run'])
    return {**os.environ, 'HYPERSIGIL_API_KEY': created.token}


def run_snippet(language: str, text: str, env: dict[str, str]) -> str:
    """What the snippet prints, run as a person would paste it."""
    command = {
        'curl': ['bash', '-c', text],
        'python': [sys.executable, '-c', text],
        'javascript': ['node', '--input-type=module', '-e', text],
    }[language]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, f'{language} failed:\n{text}\n{done.stdout}\n{done.stderr}'
    return done.stdout


async def snippets_on_the_page(user: User, seed, deployment: str, app_url: str) -> dict[str, str]:
    await signed_in(user, seed)
    await user.open(f'/deployments/{deployment}')
    texts = {}
    for language in ('curl', 'python', 'javascript'):
        element = marked(user, f'snippet-{language}')
        assert isinstance(element, ui.code) and f'{PAGE_BASE}/api/v1/' in element.content
        texts[language] = element.content.replace(PAGE_BASE, app_url)  # the page's address is the running app's here
    return texts


LANGUAGES = ['curl', 'python'] + (['javascript'] if shutil.which('node') else [])


@pytest.mark.parametrize(
    ('template', 'rendered'),
    [
        ('Greet {{name}} from {{city}}.', 'Greet <name> from <city>.'),
        ('Answer briefly: {{input}}', 'Answer briefly: The text the template shows as {{input}}'),
    ],
    ids=['two-variables', 'input'],
)
async def test_the_pages_snippets_run_as_shown(user: User, seed, app_url, key_env, fake_llm, template, rendered) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed, 'Support', template))
    texts = await snippets_on_the_page(user, seed, 'support-bot', app_url)

    for language in LANGUAGES:
        output = run_snippet(language, texts[language], key_env)
        printed = json.loads(output)['result'] if language == 'curl' else output.strip()
        assert printed == fake_llm.reply_text, language
        assert fake_llm.last_chat('openai').body['messages'] == [{'role': 'user', 'content': rendered}], language
