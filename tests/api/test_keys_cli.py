"""`python main.py keys ...`: create prints the key alone on its last line; list and revoke work on the same database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import api_keys
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from main import keys_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_settings(sqlite_url, tmp_path) -> Settings:
    return Settings.from_env(
        {'HYPERSIGIL_DATA_DIR': str(tmp_path), 'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_SECRET_KEY': 'cli-test'}
    )


def test_keys_create_prints_a_working_key_alone_on_its_last_line(cli_settings):
    command = [
        sys.executable,
        'main.py',
        'keys',
        'create',
        '--name',
        'ci',
        '--scopes',
        'deployments:run,deployments:read',
        '--expires-days',
        '30',
    ]
    created = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **cli_settings.env}, capture_output=True, text=True, timeout=120
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    core = build_core(cli_settings, migrate=False)
    assert api_keys.authenticate(core, token).scopes == {'deployments:run', 'deployments:read'}
    core.db.dispose()


def test_keys_list_and_revoke(cli_settings, capsys):
    assert keys_command(cli_settings, ['create', '--name', 'ci', '--scopes', 'admin']) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    core = build_core(cli_settings, migrate=False)
    key_id = api_keys.authenticate(core, token).id

    assert keys_command(cli_settings, ['list']) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and 'active' in listed and token not in listed
    assert keys_command(cli_settings, ['revoke', key_id]) == 0
    keys_command(cli_settings, ['list'])
    assert 'revoked' in capsys.readouterr().out
    core.db.dispose()


def test_keys_create_refuses_an_unknown_scope(cli_settings, capsys):
    assert keys_command(cli_settings, ['create', '--name', 'x', '--scopes', 'root']) == 1
    assert 'unknown scope' in capsys.readouterr().err


def test_keys_take_rate_limits_when_made_and_change_them_later(cli_settings, capsys):
    assert keys_command(cli_settings, ['create', '--name', 'ci', '--scopes', 'deployments:run', '--requests-per-minute', '5',
                                       '--concurrent-runs', '2']) == 0  # fmt: skip
    assert '5 runs/min, 2 runs at once' in capsys.readouterr().out
    core = build_core(cli_settings, migrate=False)
    [key] = api_keys.list_api_keys(core, Actor.system())
    assert (key.requests_per_minute, key.concurrent_runs) == (5, 2)

    assert keys_command(cli_settings, ['limits', key.id, '--requests-per-minute', 'none', '--concurrent-runs', '3']) == 0
    assert keys_command(cli_settings, ['limits', key.id, '--requests-per-minute', '60']) == 0  # the other stays
    [key] = api_keys.list_api_keys(core, Actor.system())
    assert (key.requests_per_minute, key.concurrent_runs) == (60, 3)
    keys_command(cli_settings, ['list'])
    assert '60 runs/min, 3 runs at once' in capsys.readouterr().out
    core.db.dispose()


def test_keys_refuse_a_bad_limit_naming_it_and_write_nothing(cli_settings, capsys):
    assert keys_command(cli_settings, ['create', '--name', 'x', '--scopes', 'admin', '--concurrent-runs', '0']) == 1
    assert 'concurrentRuns' in capsys.readouterr().err
    core = build_core(cli_settings, migrate=False)
    assert api_keys.list_api_keys(core, Actor.system()) == []
    core.db.dispose()
