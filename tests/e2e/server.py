"""`python main.py` as people start it: a real process on a free port of 127.0.0.1, stopped when the test is done."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_app(directory: Path, env: dict[str, str], *, command: str = 'serve') -> Iterator[str]:
    """Start the app with `env` added to ours; yield its base URL once /api/v1/health answers."""
    port = free_port()
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_'))}
    full_env |= {
        'HYPERSIGIL_HOST': '127.0.0.1',
        'HYPERSIGIL_PORT': str(port),
        'HYPERSIGIL_DATA_DIR': str(directory / 'data'),
        **env,
    }
    log_path = directory / 'server.log'
    with log_path.open('w') as log:
        process = subprocess.Popen(
            [sys.executable, 'main.py', command], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f'http://127.0.0.1:{port}'
        try:
            _wait_until_up(url, process, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


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
