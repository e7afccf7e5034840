"""Each closed hour of a deployment's runs, rolled up once (table metrics_hour) so that charts over weeks stay fast.

An hour's row is made by the first metrics read that covers it, from the runs through the covering index; it is final
once none of its runs was still pending or running (runs only ever move on to a finished status, and a finished run's
figures never change), and an hour that was not final is made again at the next read. Two instances making the same
hour write the same figures (an upsert), so they need no lock. The open hour and the part-hours at a range's edges are
read from the runs each time.
"""

import itertools
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import DatabaseBusy
from data.tables import UNFINISHED, Execution, ExecutionStatus, MetricsHour

EXECUTION, HOURS = Execution.__table__, MetricsHour.__table__
HOUR = timedelta(hours=1)
_COLUMNS = (
    EXECUTION.c.created_at, EXECUTION.c.revision, EXECUTION.c.status, EXECUTION.c.duration_ms, EXECUTION.c.input_tokens,
    EXECUTION.c.output_tokens, EXECUTION.c.cost_usd,
)  # fmt: skip (all in ix_execution_deployment_metrics: the read never touches the table)


@dataclass
class Part:
    """One hour's runs of one revision."""

    executions: int = 0
    completed: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    durations: Any = field(default_factory=list)  # completed runs', sorted (a list, or an array from a rollup)

    def add(self, run: Any) -> None:
        self.executions += 1
        self.completed += run.status == ExecutionStatus.COMPLETED
        self.failed += run.status == ExecutionStatus.FAILED
        self.input_tokens += run.input_tokens or 0
        self.output_tokens += run.output_tokens or 0
        if run.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + run.cost_usd
        if run.status == ExecutionStatus.COMPLETED and run.duration_ms is not None:
            self.durations.append(run.duration_ms)


Parts = dict[datetime, dict[int | None, Part]]  # hour -> revision -> part
HourRanks = dict[datetime, tuple[float, float]]  # hour -> (p50, p95) of all its revisions' completed runs
ALL = '*'  # the figures key of an hour's own p50 and p95: an hourly chart then merges nothing


def parts_between(
    connection: sa.Connection, deployment_id: str, *, start: datetime, end: datetime, now: datetime
) -> tuple[Parts, HourRanks]:
    """The deployment's runs created in [start, end), by hour and revision, and the stored hours' own p50 and p95."""
    first, last = _ceil(start), _floor(min(end, now))  # the whole, closed hours
    if first >= last:
        return parts_from_runs(connection, _runs(deployment_id, start, end))[0], {}
    parts = parts_from_runs(connection, _runs(deployment_id, start, first))[0]
    parts |= parts_from_runs(connection, _runs(deployment_id, last, end))[0] if last < end else {}
    stored = connection.execute(
        sa.select(HOURS).where(HOURS.c.deployment_id == deployment_id, HOURS.c.hour >= first, HOURS.c.hour < last)
    ).all()
    final = {row.hour: row for row in stored if row.final}
    ranks: HourRanks = {}
    for row in final.values():
        parts[row.hour] = _parts_of(row)
        if row.figures.get(ALL):
            ranks[row.hour] = tuple(row.figures[ALL])
    for span_start, span_end in _spans([hour for hour in _hours(first, last) if hour not in final]):
        made, unfinished = parts_from_runs(connection, _runs(deployment_id, span_start, span_end))
        _store(connection, deployment_id, made, unfinished, span_start, span_end)
        parts |= made
    return parts, ranks


def nearest_ranks(ordered: Any, shares: tuple[int, ...]) -> list[float]:
    """The values at rank floor(share * n / 100) + 1 of sorted values (n > 0)."""
    return [float(ordered[len(ordered) * share // 100]) for share in shares]


def parts_from_runs(connection: sa.Connection, where: Any) -> tuple[Parts, set[datetime]]:
    """The runs matching `where`, by hour and revision, and the hours that hold a pending or running one."""
    parts: Parts = {}
    unfinished = set()
    for run in connection.execute(sa.select(*_COLUMNS).where(where)):
        hour = _floor(run.created_at)
        parts.setdefault(hour, {}).setdefault(run.revision, Part()).add(run)
        if run.status in UNFINISHED:
            unfinished.add(hour)
    for revisions in parts.values():
        for part in revisions.values():
            part.durations.sort()
    return parts, unfinished


def _store(connection: sa.Connection, deployment_id: str, made: Parts, unfinished: set[datetime], start, end) -> None:
    """A row for every hour of [start, end), empty hours included (so they are not made again)."""
    rows = []
    for hour in _hours(start, end):
        revisions = made.get(hour, {})
        figures = {
            str(revision): [p.executions, p.completed, p.failed, p.input_tokens, p.output_tokens, p.cost_usd, len(p.durations)]
            for revision, p in revisions.items()
        }
        durations = array('i', itertools.chain.from_iterable(p.durations for p in revisions.values())).tobytes()
        merged = sorted(itertools.chain.from_iterable(p.durations for p in revisions.values()))
        if merged:
            figures[ALL] = nearest_ranks(merged, (50, 95))
        rows.append({'deployment_id': deployment_id, 'hour': hour, 'figures': figures, 'durations': durations,
                     'final': hour not in unfinished})  # fmt: skip
    insert = (postgresql.insert if connection.dialect.name == 'postgresql' else sqlite.insert)(HOURS)
    upsert = insert.on_conflict_do_update(
        index_elements=['deployment_id', 'hour'],
        set_={name: insert.excluded[name] for name in ('figures', 'durations', 'final')},
    )
    try:
        for chunk in itertools.batched(rows, 500):
            connection.execute(upsert, list(chunk))
        connection.commit()
    except (sa.exc.DBAPIError, DatabaseBusy):  # another writer holds the lock: this read still answers, the next stores
        connection.rollback()


def _parts_of(row: Any) -> dict[int | None, Part]:
    durations = array('i')
    durations.frombytes(bytes(row.durations))
    parts, offset = {}, 0
    for revision, figures in row.figures.items():
        if revision == ALL:
            continue
        executions, completed, failed, input_tokens, output_tokens, cost, count = figures
        part = Part(executions, completed, failed, input_tokens, output_tokens, cost, durations[offset : offset + count])
        parts[None if revision == 'None' else int(revision)] = part
        offset += count
    return parts


def _runs(deployment_id: str, start: datetime, end: datetime) -> Any:
    return sa.and_(EXECUTION.c.deployment_id == deployment_id, EXECUTION.c.created_at >= start, EXECUTION.c.created_at < end)


def _spans(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive hours joined into [start, end) spans: one read of the runs per gap in the rollups."""
    spans: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if spans and spans[-1][1] == hour:
            spans[-1] = (spans[-1][0], hour + HOUR)
        else:
            spans.append((hour, hour + HOUR))
    return spans


def _hours(start: datetime, end: datetime) -> list[datetime]:
    return [start + HOUR * i for i in range(int((end - start) / HOUR))]


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil(moment: datetime) -> datetime:
    floored = _floor(moment)
    return floored if floored == moment else floored + HOUR
