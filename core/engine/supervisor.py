"""Worker processes that the web process supervises: started with it, restarted when one dies, stopped with it.

Each worker is `python main.py worker` with this process's environment and HYPERSIGIL_SUPERVISOR_PID set, by which it
notices that the supervisor itself died (even by SIGKILL, which leaves no time to stop anything) and exits
(core.engine.process). A worker that keeps dying is restarted after a growing delay, so a broken set-up does not spin.
"""

import asyncio
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None).prctl if sys.platform == 'linux' else None  # looked up here: not in a forked child
SUPERVISOR_PID = 'HYPERSIGIL_SUPERVISOR_PID'
RESTART_SECONDS = (0.5, 30.0)  # the first and longest delay before restarting a worker that died
HEALTHY_SECONDS = 30.0  # a worker that lived this long restarts at once after dying: it was not a crash loop
STOP_SECONDS = 15.0  # a worker's graceful stop (runs in flight get 10 s) before it is killed
PARENT_CHECK_SECONDS = 0.25
ORPHAN_GRACE_SECONDS = 1.5  # runs in flight when the supervisor died: this long to finish, then handed back
ORPHAN_EXIT_SECONDS = 3.5  # ... and the worker ends by then whatever is left to do (a start, a lock wait)


class Supervisor:
    def __init__(self, count: int, command: Sequence[str], *, env: dict[str, str] | None = None) -> None:
        self.count = count
        self.command = list(command)
        self.env = {**(os.environ if env is None else env), SUPERVISOR_PID: str(os.getpid())}
        self.processes: dict[int, asyncio.subprocess.Process] = {}  # by worker number
        self.restarts = 0
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    async def start(self) -> None:
        """Start the workers; each is watched by a task of its own that restarts it when it dies."""
        started = [asyncio.get_running_loop().create_future() for _ in range(self.count)]
        self._tasks = [
            asyncio.create_task(self._keep(number, first), name=f'worker process {number}')
            for number, first in enumerate(started, 1)
        ]
        await asyncio.gather(*started)
        log.info('started %d worker processes: %s', self.count, ', '.join(str(p.pid) for p in self.processes.values()))

    async def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Ask every worker to stop (SIGTERM: runs in flight finish or go back to the queue); kill those still alive
        after `timeout` seconds."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        processes = [process for process in self.processes.values() if process.returncode is None]
        for process in processes:
            _signal(process, signal.SIGTERM)
        if not processes:
            return
        _, alive = await asyncio.wait([asyncio.create_task(process.wait()) for process in processes], timeout=timeout)
        for process in processes:
            if process.returncode is None:
                log.warning('worker process %d did not stop within %.0f s; killed', process.pid, timeout)
                _signal(process, signal.SIGKILL)
        if alive:
            await asyncio.wait(alive, timeout=5)

    async def _keep(self, number: int, started: asyncio.Future) -> None:
        delay = RESTART_SECONDS[0]
        while not self._stopping:
            began = time.monotonic()
            process = await asyncio.create_subprocess_exec(*self.command, env=self.env, preexec_fn=_die_with_parent)
            self.processes[number] = process
            if not started.done():
                started.set_result(None)
            code = await process.wait()
            if self._stopping:
                return
            delay = RESTART_SECONDS[0] if time.monotonic() - began >= HEALTHY_SECONDS else delay
            log.error('worker process %d (pid %d) exited with %s; restarting in %.1f s', number, process.pid, code, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_SECONDS[1])
            self.restarts += 1


def _die_with_parent() -> None:
    """In the child, before it runs the worker: SIGTERM when this process dies (Linux), so that a worker killed half-way
    through its imports ends at once; once started, it stops as ParentWatch says."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _signal(process: asyncio.subprocess.Process, signum: int) -> None:
    with suppress(ProcessLookupError):  # it has just exited
        process.send_signal(signum)


def watch_supervisor(env: dict[str, str]) -> 'ParentWatch | None':
    """In a worker process: watch the supervisor that started it, if one did (call it first: imports take seconds)."""
    pid = env.get(SUPERVISOR_PID)
    return ParentWatch(int(pid)) if pid else None


class ParentWatch:
    """Notices, on a thread of its own, that the supervisor is gone (its orphans are adopted by init or a subreaper)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.gone = False
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, name='parent-watch', daemon=True).start()

    def on_gone(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self.gone:
                self._callbacks.append(callback)
                return
        callback()

    def _watch(self) -> None:
        while os.getppid() == self.pid:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning('the supervising process %d is gone; stopping', self.pid)
        timer = threading.Timer(ORPHAN_EXIT_SECONDS, os._exit, (1,))
        timer.daemon = True
        timer.start()
        with self._lock:
            self.gone = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()
