"""Engine throughput: N queued executions against the fake LLM (its own process) at latency L and concurrency C.

`python -m bench.engine [--n 2000] [--latency 0.1] [--concurrency 50] [--processes P] [--database-url URL]` prints the
executions per second achieved beside the limit C/L, and the median and p99 of the engine's own overhead per execution:
  queue-to-start: from the moment an execution could start (queued, and a slot free) to its provider call starting;
  finish-to-record: from its provider call returning to its outcome being committed (this no longer holds the slot).
For scale it also runs the same N chats through the provider adapter alone (no queue, no database): the most the
provider SDK lets these processes do on this machine; and as plain HTTP requests (aiohttp, no SDK): the floor this
machine sets, with the fake LLM sharing its cores.
The C slots are shared by P worker processes (one per core by default: one Python process runs on one core at a time;
several worker processes on one database is how the engine scales, e.g. several `python main.py worker`). Each process
is warmed up first (database opened, SDK client built), as a long-running worker is.

`--main` runs the same N executions through the real `python main.py` instead (the web process and the worker
processes it supervises, `HYPERSIGIL_WORKERS`; several comma-separated, e.g. `--main --workers 1,2`, are measured one
after the other), warmed up by a first batch; the C slots are split over its workers. It prints the executions per
second (first claimed to last recorded, from the rows), the CPU per execution of the workers and of the web process,
beside C/L and the SDK alone in as many processes, in the same run.
`--latency 0` measures what the machine's CPU allows (no C/L limit then).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from core.app import Core, build_core
from core.engine.process import event_loop_runner
from core.engine.worker import Timing, Worker
from core.providers.base import ChatRequest
from core.providers.openai import chat_params
from core.settings import Settings
from core.vocabulary import FINISHED
from data.tables import Execution, utcnow

ROOT = Path(__file__).resolve().parents[1]
EXECUTION = Execution.__table__
MODEL = 'gpt-4o-mini'


@dataclass
class ProcessResult:
    concurrency: int
    ended: float = 0.0
    cpu_seconds: float = 0.0
    timings: list[Timing] = field(default_factory=list)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=2000, help='executions to queue')
    parser.add_argument('--latency', type=float, default=0.1, help='seconds the fake LLM takes per call')
    parser.add_argument('--concurrency', type=int, default=50, help='executions in flight, over all worker processes')
    parser.add_argument('--processes', type=int, default=min(os.cpu_count() or 1, 4), help='worker processes')
    parser.add_argument('--database-url', help='default: SQLite in a temporary directory')
    parser.add_argument('--main', action='store_true', help='through `python main.py` and its supervised workers')
    parser.add_argument('--workers', default='auto', help='with --main: HYPERSIGIL_WORKERS, several comma-separated')
    args = parser.parse_args(argv)
    if args.main:
        for workers in args.workers.split(','):
            through_main(args, workers.strip())
        return
    slots = split(args.concurrency, args.processes)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-') as directory, fake_llm(args.latency) as (url, fake_pid):
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{url}/v1',
        }
        settings = Settings.from_env({**env, **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {})})
        queue_executions(settings, args.n)
        fake_cpu = process_cpu_seconds(fake_pid)
        started, results = run_processes(engine_process, settings, slots, until_finished=args.n)
        fake_cpu = process_cpu_seconds(fake_pid) - fake_cpu
        sdk = baseline(sdk_process, settings, slots, args.n)
        http = baseline(http_process, settings, slots, args.n)
        report(args, settings, started, results, fake_cpu, sdk, http)


def queue_executions(settings: Settings, n: int, first: int = 0) -> None:
    """N pending rows (on a --database-url, earlier unfinished rows are removed first)."""
    core = build_core(settings)
    start = utcnow()
    rows = [
        {
            'id': row_id(i),
            'status': 'pending',
            'provider': 'openai',
            'model': MODEL,
            'options': {},
            'messages': [{'role': 'user', 'content': f'question {i}'}],
            'user_input': f'question {i}',
            'origin': 'api',
            'attempts': 0,
            'created_at': start + timedelta(microseconds=i),
        }
        for i in range(first, first + n)
    ]
    with core.db.begin() as connection:
        connection.execute(sa.delete(EXECUTION).where(EXECUTION.c.status.in_(('pending', 'running'))))
        connection.execute(sa.delete(EXECUTION).where(EXECUTION.c.id.in_([r['id'] for r in rows])))
        connection.execute(sa.insert(EXECUTION), rows)
    core.db.dispose()


def row_id(i: int) -> str:
    return f'00000000-0000-4000-8000-{i:012d}'


def through_main(args, workers: str) -> None:
    """The N executions through `python main.py` with HYPERSIGIL_WORKERS=workers, after a warm-up batch."""
    from bench.api import serve  # bench.api imports this module

    count = Settings.from_env({'HYPERSIGIL_WORKERS': workers})
    processes = count.workers or 1  # 'inline': the web process's own worker
    slots = split(args.concurrency, processes)
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-') as directory, fake_llm(args.latency) as (url, fake_pid):
        env = {
            'HYPERSIGIL_DATA_DIR': directory,
            **({'HYPERSIGIL_DATABASE_URL': args.database_url} if args.database_url else {}),
            'HYPERSIGIL_SECRET_KEY': 'bench',
            'HYPERSIGIL_WORKERS': workers,
            'HYPERSIGIL_PROVIDER_CONCURRENCY': str(max(slots)),  # per worker process
            'OPENAI_API_KEY': 'sk-bench',
            'OPENAI_BASE_URL': f'{url}/v1',
        }
        settings = Settings.from_env(env)
        build_core(settings).db.dispose()  # migrated before the server starts
        with serve(env, Path(directory) / 'server.log') as (_api_url, web_pid):
            warm = max(100, args.concurrency * 2)
            queue_executions(settings, warm, first=args.n)  # SDKs imported, clients built, connections open
            wait_until_finished(settings, warm)
            time.sleep(1)
            children = child_pids(web_pid)
            cpu_before = {pid: process_cpu_seconds(pid) for pid in [web_pid, *children]}
            fake_cpu = process_cpu_seconds(fake_pid)
            queue_executions(settings, args.n)
            wait_until_finished(settings, warm + args.n)
            cpu = {pid: process_cpu_seconds(pid) - before for pid, before in cpu_before.items()}
            fake_cpu = process_cpu_seconds(fake_pid) - fake_cpu
            span, completed = batch_span(settings, args.n)
        sdk = baseline(sdk_process, settings, slots, args.n)
    report_main(args, settings, workers, len(children), span, completed, cpu, web_pid, fake_cpu, sdk)


def child_pids(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]
    except OSError:
        return []


def batch_span(settings: Settings, n: int) -> tuple[float, int]:
    """Seconds from the batch's first claim to its last record, and how many of it completed."""
    engine = sa.create_engine(settings.database_url)
    batch = EXECUTION.c.id.in_([row_id(i) for i in range(n)])
    query = sa.select(
        sa.func.min(EXECUTION.c.started_at),
        sa.func.max(EXECUTION.c.completed_at),
        sa.func.count().filter(EXECUTION.c.status == 'completed'),
    ).where(batch)
    with engine.connect() as connection:
        first, last, completed = connection.execute(query).one()
    engine.dispose()
    return (last - first).total_seconds(), completed


def report_main(args, settings, workers, children, span, completed, cpu, web_pid, fake_cpu, sdk) -> None:
    sdk_rate, sdk_cpu = sdk
    achieved = args.n / span
    limit = args.concurrency / args.latency if args.latency else None
    web = cpu.pop(web_pid) / args.n * 1000
    worker = sum(cpu.values()) / args.n * 1000
    print(
        f'engine through `python main.py`: HYPERSIGIL_WORKERS={workers} ({children} worker process(es)), '
        f'{args.n} executions on {settings.database_url.split(":", 1)[0]}, latency {args.latency * 1000:g} ms, '
        f'concurrency {args.concurrency}, {os.cpu_count()} cores; {completed} completed'
    )
    versus = f' -> {achieved / limit:.1%} of the limit C/L {limit:.1f}/s' if limit else ' (L = 0: no C/L limit)'
    print(f'  achieved       {achieved:7.1f} executions/s in {span:.2f} s{versus}')
    print(f'  SDK alone      {sdk_rate:7.1f} chats/s in {max(1, children)} forked process(es) (no queue, no database)')
    print(
        f'  CPU per execution: worker process(es) {worker:.2f} ms, web process {web:.2f} ms, together {worker + web:.2f} ms; '
        f'SDK alone {sdk_cpu:.2f} ms per chat; fake LLM {fake_cpu / args.n * 1000:.2f} ms'
    )


def run_processes(target, settings: Settings, slots: list[int], *, n: int = 0, until_finished: int = 0):
    """Fork one process per share of the slots; start them together once all are warm; collect their results."""
    context = multiprocessing.get_context('fork')
    go, stop = context.Event(), context.Event()
    pipes, processes = [], []
    for concurrency in slots:
        receiver, sender = context.Pipe(duplex=False)
        share = n * concurrency // sum(slots)
        process = context.Process(target=target, args=(settings, concurrency, share, go, stop, sender))
        process.start()
        pipes.append(receiver)
        processes.append(process)
    for pipe in pipes:
        pipe.recv()  # warm
    started = time.perf_counter()  # CLOCK_MONOTONIC: the same clock in every process
    go.set()
    if until_finished:
        wait_until_finished(settings, until_finished)
    stop.set()
    results = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    return started, results


def baseline(target, settings: Settings, slots: list[int], n: int) -> tuple[float, float]:
    """(chats per second, ms of CPU per chat) of a baseline run."""
    started, results = run_processes(target, settings, slots, n=n)
    return n / (max(r.ended for r in results) - started), sum(r.cpu_seconds for r in results) / n * 1000


def engine_process(settings: Settings, concurrency: int, _share: int, go, stop, pipe) -> None:
    """A worker with `concurrency` slots, running from `go` until `stop`."""

    async def work(core: Core, result: ProcessResult) -> None:
        worker = Worker(core, name=f'bench-{os.getpid()}', record_timings=True)
        await warm_up(core)
        pipe.send('warm')
        await asyncio.to_thread(go.wait)
        cpu = cpu_seconds()  # from the start, as the warm-up is not part of the run
        await worker.start()
        await asyncio.to_thread(stop.wait)
        await worker.stop()
        result.cpu_seconds = cpu_seconds() - cpu
        result.timings = worker.timings

    in_process(settings, concurrency, pipe, work)


def sdk_process(settings: Settings, concurrency: int, share: int, go, _stop, pipe) -> None:
    """The provider adapter alone: `concurrency` loops of chats until `share` are done."""

    async def work(core: Core, result: ProcessResult) -> None:
        adapter = core.registry.adapter('openai')
        request = ChatRequest(model=MODEL, messages=[{'role': 'user', 'content': 'question'}])
        await chat_loops(lambda: adapter.chat(request, lambda _: None), concurrency, share, go, pipe, result)

    in_process(settings, concurrency, pipe, work)


def http_process(settings: Settings, concurrency: int, share: int, go, _stop, pipe) -> None:
    """The same chats as plain HTTP requests: `concurrency` loops, each streamed reply read line by line and parsed."""
    url = f'{settings.env["OPENAI_BASE_URL"]}/chat/completions'
    body = json.dumps(chat_params(ChatRequest(model=MODEL, messages=[{'role': 'user', 'content': 'question'}])))
    headers = {'authorization': f'Bearer {settings.env["OPENAI_API_KEY"]}', 'content-type': 'application/json'}

    async def work(_core: Core, result: ProcessResult) -> None:
        async with aiohttp.ClientSession() as session:

            async def chat() -> None:
                async with session.post(url, data=body, headers=headers) as response:
                    async for line in response.content:
                        if line.startswith(b'data: {'):
                            json.loads(line[6:])

            await chat_loops(chat, concurrency, share, go, pipe, result)

    in_process(settings, concurrency, pipe, work)


async def chat_loops(chat, concurrency: int, share: int, go, pipe, result: ProcessResult) -> None:
    """A baseline's run: one chat to warm up, then from `go`, `concurrency` loops of chats until `share` are done."""
    await chat()
    pipe.send('warm')
    await asyncio.to_thread(go.wait)
    cpu = cpu_seconds()
    left = [share]

    async def loop() -> None:
        while left[0] > 0:
            left[0] -= 1
            await chat()

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    result.ended = time.perf_counter()
    result.cpu_seconds = cpu_seconds() - cpu


def in_process(settings: Settings, concurrency: int, pipe, work) -> None:
    settings = Settings.from_env({**settings.env, 'HYPERSIGIL_PROVIDER_CONCURRENCY': str(concurrency)})
    core = build_core(settings, migrate=False)
    result = ProcessResult(concurrency)
    with event_loop_runner() as runner:
        runner.run(work(core, result))
    pipe.send(result)
    core.db.dispose()


async def warm_up(core: Core) -> None:
    """What a worker that has been running a while has done already: import the SDKs, open the database, build the
    SDK client."""
    core.registry.load_adapters()
    with core.db.connect() as connection:
        connection.execute(sa.select(sa.func.count()).select_from(EXECUTION))
    await core.registry.adapter('openai').chat(ChatRequest(model=MODEL, messages=[{'role': 'user', 'content': 'warm up'}]))


def wait_until_finished(settings: Settings, n: int) -> None:
    engine = sa.create_engine(settings.database_url)
    count = sa.select(sa.func.count()).where(EXECUTION.c.status.in_(FINISHED))
    with engine.connect() as connection:
        while connection.execute(count).scalar_one() < n:
            connection.rollback()
            time.sleep(0.25)  # the figures come from the workers' own marks: this only ends the run, cheaply
    engine.dispose()


def report(
    args, settings: Settings, started: float, results: list[ProcessResult], fake_cpu: float, sdk: tuple, http: tuple
) -> None:
    (sdk_rate, sdk_cpu), (http_rate, http_cpu) = sdk, http
    timings = [t for result in results for t in result.timings]
    elapsed = max(t.recorded for t in timings) - started
    limit = args.concurrency / args.latency if args.latency else float('inf')  # L = 0: only the CPU limits
    achieved = len(timings) / elapsed
    queue_to_start = [delay for result in results for delay in start_delays(result, started)]
    finish_to_record = [(t.recorded - t.call_ended) * 1000 for t in timings]
    calls = [(t.call_ended - t.call_started) * 1000 for t in timings]
    cpu = ', '.join(f'{r.cpu_seconds / max(1, len(r.timings)) * 1000:.2f}' for r in results)
    print(
        f'engine: {len(timings)} executions on {settings.database_url.split(":", 1)[0]}, latency {args.latency * 1000:g} ms, '
        f'concurrency {args.concurrency} over {len(results)} worker process(es), {os.cpu_count()} cores, '
        f'Python {platform.python_version()}'
    )

    def of_limit(rate: float) -> str:
        return f'  -> {rate / limit:.1%} of the limit' if limit != float('inf') else ''

    print(f'  achieved       {achieved:7.1f} executions/s in {elapsed:.2f} s{of_limit(achieved)}')
    print(f'  limit C/L      {limit:7.1f} executions/s' if limit != float('inf') else '  limit C/L      none (L = 0)')
    print(
        f'  SDK alone      {sdk_rate:7.1f} chats/s (no queue, no database){of_limit(sdk_rate)}; '
        f'the engine reaches {achieved / sdk_rate:.1%} of it'
    )
    print(f'  plain HTTP     {http_rate:7.1f} chats/s (aiohttp, no SDK)       {of_limit(http_rate)}')
    for label, values in (('provider call', calls), ('queue-to-start', queue_to_start), ('finish-to-record', finish_to_record)):
        print(f'  {label:<16} median {statistics.median(values):6.1f} ms   p99 {percentile(values, 99):6.1f} ms')
    print(f'  CPU per execution: worker process(es) {cpu} ms; fake LLM {fake_cpu / len(timings) * 1000:.2f} ms')
    print(f'  CPU per chat:      SDK alone {sdk_cpu:.2f} ms; plain HTTP {http_cpu:.2f} ms')


def start_delays(result: ProcessResult, started: float) -> list[float]:
    """A slot frees when a provider call ends: the k-th call could start when the (k-C)-th slot freed."""
    starts = sorted(t.call_started for t in result.timings)
    frees = [started] * result.concurrency + sorted(t.call_ended for t in result.timings)
    return [(start - frees[k]) * 1000 for k, start in enumerate(starts)]


def split(total: int, parts: int) -> list[int]:
    parts = max(1, min(parts, total))
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def fake_llm(latency: float):
    """The fake LLM server in its own process, as a real provider would be."""
    process = subprocess.Popen(
        [sys.executable, '-m', 'tests.fakes.llm_server', '--port', '0', '--latency', str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if 'listening on' not in line:
            raise RuntimeError(f'the fake LLM server did not start: {line!r}')
        yield line.rsplit(' ', 1)[-1].strip(), process.pid
    finally:
        process.terminate()
        process.wait(10)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """user + system CPU of another process (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


if __name__ == '__main__':
    main()
