"""`python main.py` as people start it: a real process on a free port of 127.0.0.1, stopped when the test is done."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_app(directory: Path, env: dict[str, str], *, command: str = 'serve') -> Iterator[str]:
    """Start the app with `env` added to ours; yield its base URL once /api/v1/health answers."""
    with started_app(directory, env, command=command) as app:
        app.wait_until_up()
        yield app.url


@dataclass
class AppProcess:
    """`python main.py` (or `main.py worker`) started by a test: its process, its URL (a web process) and its log."""

    process: subprocess.Popen
    url: str
    log: Path

    def wait_until_up(self) -> None:
        _wait_until_up(self.url, self.process, self.log)

    def children(self) -> set[int]:
        """The pids of its child processes (its supervised workers), read from /proc."""
        try:
            return {int(pid) for pid in Path(f'/proc/{self.process.pid}/task/{self.process.pid}/children').read_text().split()}
        except FileNotFoundError:
            return set()


@contextmanager
def started_app(directory: Path, env: dict[str, str], *, command: str = 'serve') -> Iterator[AppProcess]:
    """Start the app with `env` added to ours, without waiting for it; stop it (and what it started) when done."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_'))}
    full_env |= {
        'HYPERSIGIL_HOST': '127.0.0.1',
        'HYPERSIGIL_PORT': str(port),
        'HYPERSIGIL_DATA_DIR': str(directory / 'data'),
        **env,
    }
    log_path = directory / ('server.log' if command == 'serve' else f'{command}.log')
    with log_path.open('w') as log:
        process = subprocess.Popen(
            [sys.executable, 'main.py', command], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        app = AppProcess(process, f'http://127.0.0.1:{port}', log_path)
        try:
            yield app
        finally:
            children = app.children()
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            for pid in children:  # a test that failed half-way must not leave workers behind
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, exited and not yet reaped, does not)."""
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != 'Z'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f'the server exited with {process.returncode}:\n{log.read_text()}')
        try:
            if httpx.get(f'{url}/api/v1/health', timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f'the server did not answer within 60 s:\n{log.read_text()}')
