"""A deployment's figures over time: runs, failures, p50/p95 latency, tokens and cost, in hourly or daily buckets.

Everything is aggregated in the database from the covering index ix_execution_deployment_metrics (the range read never
touches the table), so 30 days of a busy deployment's year of history is one index range, not a year. Percentiles are
exact, by the nearest-rank rule (the value at rank floor(q * n) + 1 among n completed runs, as the guardrails read
them), found with window functions that SQLite and PostgreSQL both have.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core.app import Core
from core.errors import Invalid, NotFound
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.text import has_nul
from data.tables import Deployment, Execution, ExecutionStatus

EXECUTION = Execution.__table__
BUCKETS = {'hour': timedelta(hours=1), 'day': timedelta(days=1)}
MAX_BUCKETS = 10_000  # a year in hours fits; a chart has no room for more
DEFAULT_SPAN = timedelta(hours=24)
QUANTILES = {'p50': 50, 'p95': 95}  # in percent: integer arithmetic, the same on both databases and in tests


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
    with core.db.connect() as connection:
        deployment_id = _deployment_id(connection, ref)
        where = [EXECUTION.c.deployment_id == deployment_id, EXECUTION.c.created_at >= start, EXECUTION.c.created_at < end]
        if revision is not None:
            where.append(EXECUTION.c.revision == revision)
        if rollout_id is not None:
            where += [EXECUTION.c.rollout_id == rollout_id] + ([EXECUTION.c.arm == arm] if arm else [])
        return _metrics(connection, sa.and_(*where), start=start, end=end, bucket=bucket)


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
    step, first = BUCKETS[bucket], _floor(start, bucket)
    return [first + step * i for i in range(int((end - first) / step) + (1 if (end - first) % step else 0))]


def _metrics(connection: sa.Connection, where: Any, *, start: datetime, end: datetime, bucket: str) -> Metrics:
    label = _bucket_label(connection.dialect.name, bucket)
    sums = {(row.label, row.revision): row for row in connection.execute(_sums(label, where))}
    completed = sa.and_(where, EXECUTION.c.status == ExecutionStatus.COMPLETED)
    latency_by_bucket = percentile(connection, label, EXECUTION.c.duration_ms, completed)
    latency_by_revision = percentile(connection, EXECUTION.c.revision, EXECUTION.c.duration_ms, completed)
    latency_total = percentile(connection, sa.literal(1), EXECUTION.c.duration_ms, completed).get(1, {})
    buckets = []
    for moment in bucket_starts(start, end, bucket):
        key = _label_of(moment, bucket)
        rows = [row for (label_value, _), row in sums.items() if label_value == key]
        buckets.append(Bucket(**_added(rows, latency_by_bucket.get(key, {})), start=moment))
    revisions = sorted({revision for _, revision in sums}, key=lambda r: (r is None, r))
    by_revision = [
        RevisionFigures(
            **_added([row for (_, r), row in sums.items() if r == revision], latency_by_revision.get(revision, {})),
            revision=revision,
        )
        for revision in revisions
    ]
    totals = Figures(**_added(list(sums.values()), latency_total))
    return Metrics(bucket, start, end, buckets, totals, by_revision)


def _sums(label: Any, where: Any) -> sa.Select:
    status = EXECUTION.c.status
    return (
        sa.select(
            label.label('label'),
            EXECUTION.c.revision,
            sa.func.count().label('executions'),
            sa.func.count().filter(status == ExecutionStatus.COMPLETED).label('completed'),
            sa.func.count().filter(status == ExecutionStatus.FAILED).label('failed'),
            sa.func.coalesce(sa.func.sum(EXECUTION.c.input_tokens), 0).label('input_tokens'),
            sa.func.coalesce(sa.func.sum(EXECUTION.c.output_tokens), 0).label('output_tokens'),
            sa.func.sum(EXECUTION.c.cost_usd).label('cost_usd'),
        )
        .where(where)
        .group_by(label, EXECUTION.c.revision)
    )


def _added(rows: list[Any], latency: dict[str, float]) -> dict[str, Any]:
    costs = [float(row.cost_usd) for row in rows if row.cost_usd is not None]
    return {
        'executions': sum(row.executions for row in rows),
        'completed': sum(row.completed for row in rows),
        'failed': sum(row.failed for row in rows),
        'p50_ms': latency.get('p50'),
        'p95_ms': latency.get('p95'),
        'input_tokens': int(sum(row.input_tokens for row in rows)),
        'output_tokens': int(sum(row.output_tokens for row in rows)),
        'cost_usd': sum(costs) if costs else None,
    }


def _bucket_label(dialect: str, bucket: str) -> Any:
    """The bucket of created_at as text, 'YYYY-MM-DD HH' or 'YYYY-MM-DD', in UTC (an index-only expression)."""
    if dialect == 'sqlite':  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
        return sa.func.substr(EXECUTION.c.created_at, 1, 13 if bucket == 'hour' else 10)
    pattern = 'YYYY-MM-DD HH24' if bucket == 'hour' else 'YYYY-MM-DD'
    return sa.func.to_char(sa.func.timezone('UTC', EXECUTION.c.created_at), pattern)


def _label_of(moment: datetime, bucket: str) -> str:
    return f'{moment:%Y-%m-%d %H}' if bucket == 'hour' else f'{moment:%Y-%m-%d}'


def _floor(moment: datetime, bucket: str) -> datetime:
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
