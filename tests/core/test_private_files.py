"""Data at rest is its owner's alone: the data dir 0700, the database (and its -wal/-shm), the key 0600 (issue 9, item 16)."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.app import build_core
from core.settings import Settings
from data.db import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which files are world-readable unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_instance_keeps_its_data_dir_database_and_key_private(tmp_path, open_umask):
    settings = Settings.from_env({'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')})  # SQLite in the data dir, generated key

    core = build_core(settings)
    try:
        with core.db.connect() as connection:  # a connection in WAL mode keeps the -wal and -shm files
            connection.execute(sa.text('SELECT 1'))
            files = sorted(p.name for p in (tmp_path / 'data').iterdir())
            modes = {p.name: mode(p) for p in (tmp_path / 'data').iterdir()}
    finally:
        core.db.dispose()

    assert files == ['hypersigil.db', 'hypersigil.db-shm', 'hypersigil.db-wal', 'secret.key']
    assert modes == dict.fromkeys(files, 0o600)
    assert mode(tmp_path / 'data') == 0o700


def test_a_database_file_left_readable_by_others_is_made_private(tmp_path, open_umask):
    database = tmp_path / 'old.db'
    for path in (database, tmp_path / 'old.db-wal'):
        path.touch(mode=0o644)

    make_engine(f'sqlite:///{database}').dispose()

    assert (mode(database), mode(tmp_path / 'old.db-wal')) == (0o600, 0o600)


def test_a_database_in_a_folder_that_does_not_exist_fails_as_before(tmp_path):
    engine = make_engine(f'sqlite:///{tmp_path}/mistyped/app.db')

    with pytest.raises(sa.exc.OperationalError):
        engine.connect()
    assert not (tmp_path / 'mistyped').exists()


def test_an_existing_data_dir_keeps_its_mode(tmp_path, open_umask, caplog):
    shared = tmp_path / 'data'
    shared.mkdir(mode=0o755)

    build_core(Settings.from_env({'HYPERSIGIL_DATA_DIR': str(shared)})).db.dispose()

    assert mode(shared) == 0o755  # the operator's choice; we say so rather than change it
    assert 'may be read by other users' in caplog.text
