"""A worker in a process of its own (`python main.py worker`): its own event loop, stopped gracefully by a signal."""

import asyncio
import logging
import signal

from core.app import Core, build_core
from core.engine.worker import Worker
from core.settings import Settings
from core.webhooks.deliverer import Deliverer


def run_worker(settings: Settings) -> None:
    """Run a worker until SIGTERM or Ctrl-C, then stop it gracefully."""
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
    worker, deliverer = Worker(core), Deliverer(core)
    await worker.start()
    await deliverer.start()  # webhook deliveries go out from wherever executions run
    await stop.wait()
    await worker.stop()
    await deliverer.stop()
    await core.registry.aclose()
