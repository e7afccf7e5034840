"""Worker processes for the crash tests, forked from one process that has already imported everything.

`python -m tests.core.worker_process` reads one JSON line per worker on stdin, {"env": {...}, "log": "<path>"}, forks a
child that runs `run_worker` (as `python main.py worker` does) with that environment and its output in that log (every
claim logged: '... claimed <id> ...'), and answers with the child's pid. Importing the SDKs takes seconds; forking, not.
"""

import json
import logging
import os
import signal
import sys

from core.engine.process import run_worker
from core.settings import Settings


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped by the system
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            worker(request['env'], request['log'])
        print(pid, flush=True)


def worker(env: dict[str, str], log: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.update(env)
    null, out = os.open(os.devnull, os.O_RDONLY), os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    logging.basicConfig(level=logging.INFO, format='%(created).3f %(name)s %(message)s', force=True)
    logging.getLogger('core.engine').setLevel(logging.DEBUG)
    logging.getLogger('httpx2').setLevel(logging.WARNING)
    try:
        run_worker(Settings.from_env())
    finally:
        os._exit(0)


if __name__ == '__main__':
    main()
