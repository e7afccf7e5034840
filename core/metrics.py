"""A deployment's figures over time: runs, failures, p50/p95 latency, tokens and cost, in hourly or daily buckets.

Closed hours come from their rollups (core.metrics_hours: one row per deployment and hour, made at the first read that
needs it), the open edges of the range from the runs themselves through the covering index
ix_execution_deployment_metrics; so 30 days of a busy deployment's year of history is 720 small rows, not 80,000 runs.
Percentiles are exact, by the nearest-rank rule (the value at rank floor(q * n) + 1 among n completed runs, as the
guardrails read them): the rollups keep each hour's sorted durations, which merge in linear time.
"""

import collections
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core import metrics_hours as hours
from core.app import Core
from core.errors import Invalid, NotFound
from core.metrics_hours import Part
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.text import has_nul
from data.tables import Deployment, Execution

EXECUTION = Execution.__table__
BUCKETS = {'hour': timedelta(hours=1), 'day': timedelta(days=1)}
MAX_BUCKETS = 10_000  # a year in hours fits; a chart has no room for more
DEFAULT_SPAN = timedelta(hours=24)
QUANTILES = {'p50': 50, 'p95': 95}  # in percent: integer arithmetic, the same on both databases and in tests
SORT_BELOW = 2000  # values; above, counting them is faster than merging sorted runs


@dataclass(frozen=True)
class Figures:
    executions: int = 0
    completed: int = 0
    failed: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None when no run in it had a known price


@dataclass(frozen=True)
class Bucket(Figures):
    start: datetime | None = None


@dataclass(frozen=True)
class RevisionFigures(Figures):
    revision: int | None = None


@dataclass(frozen=True)
class Metrics:
    bucket: str
    start: datetime
    end: datetime
    buckets: list[Bucket]
    totals: Figures
    by_revision: list[RevisionFigures]


def deployment_metrics(
    core: Core,
    actor: Actor,
    ref: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str = 'hour',
    revision: int | None = None,
    rollout_id: str | None = None,
    arm: str | None = None,
) -> Metrics:
    """The deployment's runs created in [start, end) (default: the last 24 h), optionally of one revision or one
    rollout's arm; every bucket of the range is listed, empty ones included, so a chart's axis is continuous."""
    actor.require('deployments:read')
    start, end = _range(start, end, bucket)
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int) or revision < 1):
        raise Invalid('revision', 'must be a revision number')
    now = core.clock()
    with core.db.connect() as connection:
        deployment_id = _deployment_id(connection, ref)
        if rollout_id is None:  # closed hours from their rollups (made now if missing), the rest from the runs
            parts, ranks = hours.parts_between(connection, deployment_id, start=start, end=end, now=now)
        else:  # a rollout's arm: a few days of runs, read from them
            where = [EXECUTION.c.deployment_id == deployment_id, EXECUTION.c.created_at >= start,
                     EXECUTION.c.created_at < end, EXECUTION.c.rollout_id == rollout_id]  # fmt: skip
            parts, _ = hours.parts_from_runs(connection, sa.and_(*where, *([EXECUTION.c.arm == arm] if arm else [])))
            ranks = {}
        if revision is not None:
            parts = {hour: {r: part for r, part in found.items() if r == revision} for hour, found in parts.items()}
            ranks = {}  # an hour's own percentiles are of all its revisions
        return _metrics(parts, ranks if bucket == 'hour' else {}, start=start, end=end, bucket=bucket)


def percentile(connection: sa.Connection, group: Any, value: Any, where: Any) -> dict[Any, dict[str, float]]:
    """{group value: {'p50': ..., 'p95': ...}} of `value` over the rows matching `where` (nulls left out)."""
    ranked = (
        sa.select(
            group.label('grouping'),
            value.label('value'),
            sa.func.row_number().over(partition_by=group, order_by=value).label('rank'),
            sa.func.count().over(partition_by=group).label('n'),
        )
        .where(where, value.is_not(None))
        .subquery()
    )
    picks = [
        sa.func.max(sa.case((ranked.c.rank == ranked.c.n * share // 100 + 1, ranked.c.value))).label(name)
        for name, share in QUANTILES.items()
    ]
    statement = sa.select(ranked.c.grouping, *picks).group_by(ranked.c.grouping)
    return {
        row.grouping: {name: float(row._mapping[name]) for name in QUANTILES if row._mapping[name] is not None}
        for row in connection.execute(statement)
    }


def bucket_starts(start: datetime, end: datetime, bucket: str) -> list[datetime]:
    step, first = BUCKETS[bucket], floor(start, bucket)
    return [first + step * i for i in range(int((end - first) / step) + (1 if (end - first) % step else 0))]


def _metrics(parts: hours.Parts, ranks: hours.HourRanks, *, start: datetime, end: datetime, bucket: str) -> Metrics:
    """Figures per bucket, in total and per revision, from each hour's parts (one per revision); `ranks` holds the
    p50 and p95 of hourly buckets that their rollups already know."""
    by_bucket: dict[datetime, list[Part]] = {}
    by_revision: dict[int | None, list[Part]] = {}
    for hour, revisions in parts.items():
        for revision, part in revisions.items():
            by_bucket.setdefault(floor(hour, bucket), []).append(part)
            by_revision.setdefault(revision, []).append(part)
    buckets = [
        Bucket(**_added(by_bucket.get(moment, []), ranks.get(moment)), start=moment)
        for moment in bucket_starts(start, end, bucket)
    ]
    revisions = sorted((r for r, found in by_revision.items() if any(p.executions for p in found)), key=lambda r: (r is None, r))
    per_revision = [RevisionFigures(**_added(by_revision[revision]), revision=revision) for revision in revisions]
    totals = Figures(**_added([part for found in by_bucket.values() for part in found]))
    return Metrics(bucket, start, end, buckets, totals, per_revision)


def _added(parts: list[Part], known: tuple[float, float] | None = None) -> dict[str, Any]:
    costs = [part.cost_usd for part in parts if part.cost_usd is not None]
    p50, p95 = known or _nearest_ranks(parts, (QUANTILES['p50'], QUANTILES['p95']))
    return {
        'executions': sum(part.executions for part in parts),
        'completed': sum(part.completed for part in parts),
        'failed': sum(part.failed for part in parts),
        'p50_ms': p50,
        'p95_ms': p95,
        'input_tokens': sum(part.input_tokens for part in parts),
        'output_tokens': sum(part.output_tokens for part in parts),
        'cost_usd': sum(costs) if costs else None,
    }


def _nearest_ranks(parts: list[Part], shares: tuple[int, ...]) -> list[float | None]:
    """The values at rank floor(share * n / 100) + 1 of the parts' durations together (each part's are sorted)."""
    n = sum(len(part.durations) for part in parts)
    if not n:
        return [None] * len(shares)
    ranks = [n * share // 100 for share in shares]  # 0-based
    if len(parts) == 1:
        return hours.nearest_ranks(parts[0].durations, shares)
    if n <= SORT_BELOW:
        return hours.nearest_ranks(sorted(itertools.chain.from_iterable(part.durations for part in parts)), shares)
    # many values: count them (durations are whole milliseconds, so far fewer distinct values than runs)
    counts = collections.Counter(itertools.chain.from_iterable(part.durations for part in parts))
    found, seen, pending = [], 0, iter(sorted(ranks))
    rank = next(pending)
    for value in sorted(counts):
        seen += counts[value]
        while rank is not None and rank < seen:
            found.append((rank, float(value)))
            rank = next(pending, None)
        if rank is None:
            break
    values = dict(found)
    return [values[rank] for rank in ranks]


def floor(moment: datetime, bucket: str) -> datetime:
    """The start of the hour or day (UTC) that holds the moment."""
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == 'day' else moment


def _range(start: datetime | None, end: datetime | None, bucket: str) -> tuple[datetime, datetime]:
    if bucket not in BUCKETS:
        raise Invalid('bucket', 'must be hour or day')
    for field, value in (('from', start), ('to', end)):
        if value is not None and not isinstance(value, datetime):
            raise Invalid(field, 'must be a time (ISO 8601)')
    end = (end or datetime.now(UTC)).astimezone(UTC) if end is None or end.tzinfo else end.replace(tzinfo=UTC)
    start = end - DEFAULT_SPAN if start is None else start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    if start >= end:
        raise Invalid('from', 'must come before to')
    if (end - start) / BUCKETS[bucket] > MAX_BUCKETS:
        raise Invalid('from', f'the range holds more than {MAX_BUCKETS:,} {bucket}s; use daily buckets or a shorter range')
    return start, end


def _deployment_id(connection: sa.Connection, ref: str) -> str:
    if has_nul(ref):  # nothing stored holds one, and PostgreSQL would refuse to compare it
        raise NotFound(f'no deployment {ref!r}')
    deployments = Deployment.__table__
    column = deployments.c.id if looks_like_uuid(ref) else deployments.c.name
    found = connection.execute(sa.select(deployments.c.id).where(column == ref)).scalar_one_or_none()
    if found is None:
        raise NotFound(f'no deployment {ref!r}')
    return found
