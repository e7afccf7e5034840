"""A worker in a process of its own (`python main.py worker`): its own event loop, stopped gracefully by a signal.

Started by `python main.py` (core.engine.supervisor), it also stops when that process is gone (ParentWatch), giving its
runs in flight a short grace; what it still held returns to the queue (handed back, or when the leases expire).
"""

import asyncio
import logging
import os
import signal

from core.app import Core, build_core
from core.bus.factory import transport_for
from core.engine.supervisor import ORPHAN_GRACE_SECONDS, ParentWatch
from core.engine.worker import Worker
from core.settings import Settings
from core.webhooks.deliverer import Deliverer

log = logging.getLogger(__name__)


def run_worker(settings: Settings, parent: ParentWatch | None = None) -> None:
    """Run a worker until SIGTERM or Ctrl-C (or the death of the supervisor `parent` watches), then stop it gracefully."""
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    core = build_core(settings)
    try:
        with event_loop_runner() as runner:
            runner.run(_serve(core, parent))
    finally:
        core.db.dispose()


def event_loop_runner() -> asyncio.Runner:
    """uvloop when installed (as uvicorn picks for the web process): the SDKs' streaming costs less CPU on it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def _serve(core: Core, parent: ParentWatch | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if parent is not None:
        parent.on_gone(lambda: loop.call_soon_threadsafe(stop.set))
    worker, deliverer = Worker(core), Deliverer(core)
    await core.bus.connect(transport_for(core.settings))
    await worker.start()
    await deliverer.start()  # webhook deliveries go out from wherever executions run
    await stop.wait()
    if parent is not None and (parent.gone or os.getppid() != parent.pid):  # (its SIGTERM may come first)
        worker.grace_seconds = min(worker.grace_seconds, ORPHAN_GRACE_SECONDS)
    await worker.stop()
    await deliverer.stop()
    await core.bus.disconnect()
    await core.registry.aclose()
