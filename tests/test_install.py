"""Installs come from the locks: runtime apart from test tools, every pin locked, and a changed lock installs again."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {'requirements.txt': 'requirements.lock', 'requirements-dev.txt': 'requirements-dev.lock'}
TEST_TOOLS = {'pytest', 'pytest-asyncio', 'selenium', 'schemathesis', 'ruff', 'uv'}


def normalized(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version of each `name[extras]==version` line, following `-r` includes."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split('#')[0].strip()
        if line.startswith('-r '):
            found |= pins(path.parent / line[3:].strip())
        elif match := re.fullmatch(r'([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)', line):
            found[normalized(match[1])] = match[3]
    return found


def locked(path: Path) -> dict[str, str]:
    lines = (re.match(r'([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)', line) for line in path.read_text().splitlines())
    return {normalized(match[1]): match[3] for match in lines if match}


@pytest.mark.parametrize(('requirements', 'lock'), LOCKS.items())
def test_every_pin_is_in_its_lock_with_hashes(requirements, lock):
    wanted, resolved = pins(ROOT / requirements), locked(ROOT / lock)

    assert {name: resolved.get(name) for name in wanted} == wanted, f'run `make lock` after editing {requirements}'
    assert (ROOT / lock).read_text().count('--hash=sha256:') >= len(resolved)


def test_the_runtime_set_leaves_the_test_tools_out():
    assert not TEST_TOOLS & locked(ROOT / 'requirements.lock').keys()
    assert locked(ROOT / 'requirements-dev.lock').keys() >= TEST_TOOLS


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile and the locks in a folder whose .venv has a Python (a stand-in: make only checks that it exists)."""
    for name in ('Makefile', *LOCKS.values()):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / '.venv/bin').mkdir(parents=True)
    (tmp_path / '.venv/bin/python').touch(mode=0o755)
    return tmp_path


def make(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['make', '--no-print-directory', *args], cwd=project, capture_output=True, text=True)


def test_run_installs_the_runtime_lock_and_test_installs_the_dev_lock(project):
    run, test = make(project, '-n', 'run').stdout, make(project, '-n', 'test').stdout

    assert '-r requirements.lock' in run and 'requirements-dev.lock' not in run
    assert '-r requirements-dev.lock' in test and '--require-hashes' in test


@pytest.mark.parametrize('target', ['install', 'install-runtime'])
def test_a_changed_lock_installs_again(project, target):
    stamp = re.search(r'touch (\S+)', make(project, '-n', target).stdout)[1]
    (project / stamp).touch()
    assert make(project, '-q', target).returncode == 0  # up to date

    lock = project / ('requirements-dev.lock' if target == 'install' else 'requirements.lock')
    lock.write_text(lock.read_text() + '# changed\n')

    assert make(project, '-q', target).returncode == 1
