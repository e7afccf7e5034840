"""Fixtures of the core tests."""

from dataclasses import replace

import pytest

from core.engine.worker import AHEAD_SECONDS, Worker
from tests.core.engine_helpers import FAST


@pytest.fixture
async def start_worker(core):
    """Start a worker after adjusting the core's settings (e.g. start_worker(max_attempts=2))."""
    workers: list[Worker] = []

    async def start(
        *, poll_seconds: float = 0.2, ahead_seconds: float = AHEAD_SECONDS, grace_seconds: float = 1.0, **changes
    ) -> Worker:
        if changes:
            core.settings = replace(core.settings, **changes)
        worker = Worker(core, backoff=FAST, poll_seconds=poll_seconds, ahead_seconds=ahead_seconds, grace_seconds=grace_seconds)
        await worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        await worker.stop()
