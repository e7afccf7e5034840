"""A worker in a process of its own (`python main.py worker`): its own event loop, stopped gracefully by a signal.

Started by `python main.py` (core.engine.supervisor), it also stops when that process is gone, however it ended: the
parent's pid it was given is no longer its parent. It then gives its runs in flight a short grace and exits within
ORPHAN_EXIT_SECONDS; what it still held returns to the queue (handed back, or when the leases expire).
"""

import asyncio
import logging
import os
import signal
import threading

from core.app import Core, build_core
from core.bus.factory import transport_for
from core.engine.supervisor import SUPERVISOR_PID
from core.engine.worker import Worker
from core.settings import Settings

log = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 0.5
ORPHAN_GRACE_SECONDS = 2.0  # runs in flight when the supervisor died: this long to finish, then handed back
ORPHAN_EXIT_SECONDS = 4.5  # ... and the process ends by then whatever is left to do


def run_worker(settings: Settings) -> None:
    """Run a worker until SIGTERM or Ctrl-C (or its supervisor's death), then stop it gracefully."""
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    core = build_core(settings)
    try:
        with event_loop_runner() as runner:
            runner.run(_serve(core))
    finally:
        core.db.dispose()


def event_loop_runner() -> asyncio.Runner:
    """uvloop when installed (as uvicorn picks for the web process): the SDKs' streaming costs less CPU on it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def _serve(core: Core) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    worker = Worker(core)
    supervisor = core.settings.env.get(SUPERVISOR_PID, '')
    # started by a supervisor (not a stale variable in the environment of a worker started by hand)
    watching = asyncio.create_task(_watch_parent(os.getppid(), stop)) if supervisor == str(os.getppid()) else None
    await core.bus.connect(transport_for(core.settings))
    await worker.start()
    await stop.wait()
    if watching is not None and watching.done():
        _exit_by(ORPHAN_EXIT_SECONDS)
        worker.grace_seconds = min(worker.grace_seconds, ORPHAN_GRACE_SECONDS)
    await worker.stop()
    await core.bus.disconnect()
    await core.registry.aclose()


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    """Set `stop` once the supervisor is gone (its orphans are adopted by init or a subreaper)."""
    while os.getppid() == pid:
        await asyncio.sleep(PARENT_CHECK_SECONDS)
    log.warning('the supervising process %d is gone; stopping', pid)
    stop.set()


def _exit_by(seconds: float) -> None:
    """End the process after `seconds`, whatever it is doing then (a statement waiting on a lock, a stuck link)."""
    timer = threading.Timer(seconds, os._exit, (1,))
    timer.daemon = True
    timer.start()
