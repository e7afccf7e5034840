"""The generated secret key: one per data dir, whole and private, however many processes start at once (issue 9, item 12)."""

import multiprocessing
import stat
from pathlib import Path

import pytest

from core.secrets import KEY_FILE, load_secret_key
from core.settings import Settings

TRIALS = 60
PROCESSES = 3


def settings_for(data_dir: Path) -> Settings:
    return Settings.from_env({'HYPERSIGIL_DATA_DIR': str(data_dir)})


def _start_with_the_others(barrier, data_dirs: list[Path], results) -> None:
    """One process's part: for each fresh data dir, wait for the others, then load the key as a starting app does."""
    for data_dir in data_dirs:
        barrier.wait()
        try:
            results.put((str(data_dir), load_secret_key(settings_for(data_dir))))
        except Exception as error:
            results.put((str(data_dir), f'{type(error).__name__}: {error}'))


def test_processes_starting_together_on_a_fresh_data_dir_all_read_one_whole_key(tmp_path):
    context = multiprocessing.get_context('spawn')
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    data_dirs = [tmp_path / f'trial-{number}' / 'data' for number in range(TRIALS)]
    processes = [context.Process(target=_start_with_the_others, args=(barrier, data_dirs, results)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(TRIALS * PROCESSES)]
    for process in processes:
        process.join(timeout=10)

    keys_by_dir: dict[str, set[str]] = {}
    for data_dir, key in outcomes:
        keys_by_dir.setdefault(data_dir, set()).add(key)
    for data_dir, keys in keys_by_dir.items():
        [key] = keys  # every process of a trial read the same key...
        assert len(key) >= 40 and ' ' not in key, f'{data_dir}: {key}'  # ...a whole one, not an error or an empty read
        assert (Path(data_dir) / KEY_FILE).read_text() == key
    assert len({key for keys in keys_by_dir.values() for key in keys}) == TRIALS
    assert not [p.name for p in tmp_path.glob('trial-*/data/*') if p.name != KEY_FILE]  # no temporary file left behind


def test_the_key_is_generated_once_and_kept(tmp_path):
    first = load_secret_key(settings_for(tmp_path / 'data'))

    assert load_secret_key(settings_for(tmp_path / 'data')) == first


def test_the_key_file_and_its_folder_are_private(tmp_path):
    load_secret_key(settings_for(tmp_path / 'data'))

    assert stat.S_IMODE((tmp_path / 'data').stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / 'data' / KEY_FILE).stat().st_mode) == 0o600


def test_an_empty_key_file_is_refused_rather_than_used(tmp_path):
    (tmp_path / 'data').mkdir()
    (tmp_path / 'data' / KEY_FILE).write_text('\n')

    with pytest.raises(RuntimeError, match='is empty'):
        load_secret_key(settings_for(tmp_path / 'data'))


def test_the_environment_key_wins_and_nothing_is_written(tmp_path):
    settings = Settings.from_env({'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data'), 'HYPERSIGIL_SECRET_KEY': 'from-env'})

    assert load_secret_key(settings) == 'from-env'
    assert not (tmp_path / 'data').exists()
