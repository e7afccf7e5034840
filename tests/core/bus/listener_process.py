"""A bus listener in a process of its own: `python -m tests.core.bus.listener_process` (settings from the environment).

Prints `{"ready": pid}` once listening, then a JSON line per event from another process, and `{"gap": true}` per gap,
each with the monotonic time it arrived (one clock for every process of a machine). A `counters` line on stdin prints
the transport's counters; the end of stdin closes the transport and ends the process.
"""

import asyncio
import dataclasses
import json
import os
import sys
import time

from core.bus.factory import transport_for
from core.events import Event
from core.settings import Settings


async def main() -> None:
    transport = transport_for(Settings.from_env())
    await transport.listen(on_event, on_gap=on_gap)
    say({'ready': os.getpid(), 'socket': str(getattr(transport, 'own_socket', None))})
    while line := await asyncio.to_thread(sys.stdin.readline):
        if line.strip() == 'counters':
            say({'counters': dataclasses.asdict(transport.counters)})
    await transport.close()


def on_event(event: Event) -> None:
    say({'kind': event.kind, 'id': event.execution_id, 'data': event.data, 'at': time.monotonic()})


def on_gap() -> None:
    say({'gap': True, 'at': time.monotonic()})


def say(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    asyncio.run(main())
