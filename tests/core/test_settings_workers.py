"""HYPERSIGIL_WORKERS: how many worker processes `python main.py` supervises, or one inside the web process."""

import os

import pytest

from core.settings import Settings

BASE = {'HYPERSIGIL_DATA_DIR': '/tmp/hypersigil-settings-test'}
AUTO = max(1, os.cpu_count() - 1)  # a core for the web process, the others for workers


@pytest.mark.parametrize(
    ('value', 'processes', 'inline'),
    [(None, AUTO, False), ('auto', AUTO, False), ('0', 0, False), ('3', 3, False), ('inline', 0, True)],
)
def test_workers_read_from_the_environment(value, processes, inline):
    env = BASE if value is None else {**BASE, 'HYPERSIGIL_WORKERS': value}
    settings = Settings.from_env(env)
    assert (settings.workers, settings.inline_worker) == (processes, inline)


@pytest.mark.parametrize('value', ['-1', 'two', '1.5', ''])
def test_unreadable_workers_are_refused_naming_the_variable(value):
    with pytest.raises(ValueError, match='HYPERSIGIL_WORKERS'):
        Settings.from_env({**BASE, 'HYPERSIGIL_WORKERS': value})
