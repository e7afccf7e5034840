"""`python main.py` on a fresh data dir keeps what it writes there to itself, per-browser storage included (issue 9, item 16)."""

import os
import stat
import subprocess
import sys

import httpx

from tests.e2e.server import ROOT, running_app


def test_the_running_app_writes_its_data_dir_for_its_owner_alone(tmp_path):
    with running_app(tmp_path, {}) as url:  # SQLite in the data dir and a generated secret key: the defaults
        assert httpx.get(f'{url}/login', follow_redirects=True).status_code == 200  # a fresh instance: on to /setup
        entries = {path.relative_to(tmp_path).as_posix(): path for path in (tmp_path / 'data').rglob('*')}
        modes, special = _modes(entries)  # of what is still there: its worker processes open and close files meanwhile

    assert {'data/hypersigil.db', 'data/hypersigil.db-wal', 'data/secret.key'} <= modes.keys()
    # directories, and the sockets of the bus between the app's processes (data/bus/*.sock), are 0700; files 0600
    assert modes == {name: 0o700 if name in special else 0o600 for name in modes}
    assert stat.S_IMODE((tmp_path / 'data').stat().st_mode) == 0o700


def test_per_browser_storage_is_kept_in_the_data_dir(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith('NICEGUI_')}
    probe = 'import main; from nicegui import app; print(app.storage.general.filepath.parent)'

    shown = subprocess.run(
        [sys.executable, '-c', probe], cwd=ROOT, env={**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')},
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert shown.stdout.strip() == str(tmp_path / 'data' / 'nicegui')


def _modes(entries: dict) -> tuple[dict[str, int], set[str]]:
    """The permission bits of each entry, and the names of the directories and sockets among them."""
    modes, special = {}, set()
    for name, path in entries.items():
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        modes[name] = stat.S_IMODE(mode)
        if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode):
            special.add(name)
    return modes, special
