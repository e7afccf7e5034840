"""A rollout as stored: its view, its arms' figures from the executions, and every change of status, fenced and told.

Every change goes through `change`: one UPDATE fenced on the row's `version` (two workers deciding the same step, or a
person and a worker acting together, change it once; the other finds it changed), the history entry that says who or
what caused it, the deployment's current revision on promotion, and a 'rollout' event on the bus after the commit.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.events import Event, EventBus
from core.metrics import percentile
from core.rollouts.guardrails import ArmFigures
from core.rollouts.settings import RolloutSettings, parse_settings
from core.rollouts.stages import RolloutState
from core.rollouts.vocabulary import ACTIVE, Arm, RolloutStatus
from data.tables import Deployment, Execution, ExecutionStatus, Rollout, WebhookEvent

log = logging.getLogger(__name__)
ROLLOUT, EXECUTION, DEPLOYMENT = Rollout.__table__, Execution.__table__, Deployment.__table__
EVENT_KIND = 'rollout'  # Event(kind='rollout', execution_id=<the rollout's id>, data={status, deployment, ...})
FINISHED = (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED)  # cancelled runs say nothing of a configuration


@dataclass(frozen=True)
class ArmSummary:
    """One arm's runs over the whole rollout: counts, failure rate (failed or invalid among finished), latency, cost."""

    executions: int
    completed: int
    failed: int
    failure_rate: float | None
    p50_ms: float | None
    p95_ms: float | None
    cost_usd: float | None


@dataclass(frozen=True)
class RolloutArms:
    stable: ArmSummary
    candidate: ArmSummary


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: RolloutStatus
    stage: int
    percent: int
    by: str  # a person's name, an API key's name, or 'guardrails' / 'stages' for the rollout's own steps
    reason: str | None


@dataclass(frozen=True)
class RolloutView:
    """A rollout with its settings, both arms' figures and its history (DESIGN §5's Rollout shape)."""

    id: str
    deployment: str
    status: RolloutStatus
    stage: int
    percent: int
    stages: list[int]
    stage_minutes: float
    min_samples: int
    guardrails: dict[str, float | None]
    on_regression: str
    stable_revision: int
    candidate_revision: int
    candidate: dict[str, Any]
    arms: RolloutArms
    reason: str | None
    history: list[HistoryEntry]
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None


def view(connection: sa.Connection, row: Any, deployment_name: str) -> RolloutView:
    """The view of a rollout row, with its arms' figures read now."""
    settings = row.settings
    return RolloutView(
        id=row.id,
        deployment=deployment_name,
        status=RolloutStatus(row.status),
        stage=row.stage,
        percent=row.percent,
        stages=settings['stages'],
        stage_minutes=settings['stageMinutes'],
        min_samples=settings['minSamples'],
        guardrails=settings['guardrails'],
        on_regression=settings['onRegression'],
        stable_revision=row.stable_revision,
        candidate_revision=row.candidate_revision,
        candidate=row.candidate,
        arms=arm_summaries(connection, row.id),
        reason=row.reason,
        history=[_entry(entry) for entry in row.history],
        started_at=row.started_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
    )


def settings_of(row: Any) -> RolloutSettings:
    return parse_settings(row.settings)


def state_of(row: Any) -> RolloutState:
    return RolloutState(RolloutStatus(row.status), row.stage, row.stage_started_at)


def active_row(connection: sa.Connection, deployment_id: str, *, lock: bool = False) -> Any:
    """The deployment's running or paused rollout (None when it has none)."""
    statement = sa.select(ROLLOUT).where(ROLLOUT.c.deployment_id == deployment_id, ROLLOUT.c.status.in_(ACTIVE))
    return connection.execute(statement.with_for_update() if lock else statement).one_or_none()


def arm_summaries(connection: sa.Connection, rollout_id: str) -> RolloutArms:
    """Both arms over the whole rollout, aggregated in the database (a long rollout has many runs)."""
    failed = (EXECUTION.c.status == ExecutionStatus.FAILED) | (
        (EXECUTION.c.status == ExecutionStatus.COMPLETED) & (EXECUTION.c.result_valid == sa.false())
    )
    totals = (
        sa.select(
            EXECUTION.c.arm,
            sa.func.count().label('executions'),
            sa.func.count().filter(EXECUTION.c.status == ExecutionStatus.COMPLETED).label('completed'),
            sa.func.count().filter(failed).label('failed'),
            sa.func.count().filter(EXECUTION.c.status.in_(FINISHED)).label('finished'),
            sa.func.sum(EXECUTION.c.cost_usd).label('cost_usd'),
        )
        .where(EXECUTION.c.rollout_id == rollout_id)
        .group_by(EXECUTION.c.arm)
    )
    found = {row.arm: row for row in connection.execute(totals)}
    completed = (EXECUTION.c.rollout_id == rollout_id) & (EXECUTION.c.status == ExecutionStatus.COMPLETED)
    latency = percentile(connection, EXECUTION.c.arm, EXECUTION.c.duration_ms, completed)
    return RolloutArms(**{arm.value: _summary(found.get(arm), latency.get(arm, {})) for arm in Arm})


def guardrail_figures(connection: sa.Connection, row: Any) -> tuple[dict[Arm, ArmFigures], dict[Arm, ArmFigures]]:
    """Each arm's finished runs since the guardrails started watching (start or resume), and since the stage began."""
    statement = sa.select(
        EXECUTION.c.arm, EXECUTION.c.created_at, EXECUTION.c.status, EXECUTION.c.result_valid, EXECUTION.c.duration_ms
    ).where(
        EXECUTION.c.rollout_id == row.id,
        EXECUTION.c.created_at >= row.guarded_since,
        EXECUTION.c.status.in_(FINISHED),
    )
    runs = connection.execute(statement).all()
    stage_runs = [run for run in runs if run.created_at >= row.stage_started_at]
    return _figures(runs), _figures(stage_runs)


def change(
    connection: sa.Connection,
    row: Any,
    *,
    now: datetime,
    by: str,
    status: RolloutStatus,
    stage: int,
    percent: int,
    reason: str | None,
    restart_stage: bool = False,
    restart_guardrails: bool = False,
) -> bool:
    """Write one change of the rollout (and, on promotion, of its deployment); False when the row changed meanwhile."""
    entry = {'at': now.isoformat(), 'status': status.value, 'stage': stage, 'percent': percent, 'by': by, 'reason': reason}
    values: dict[str, Any] = {
        'status': status, 'stage': stage, 'percent': percent, 'version': row.version + 1, 'updated_at': now,
        'history': [*row.history, entry],
    }  # fmt: skip
    if reason is not None:
        values['reason'] = reason
    if restart_stage or stage != row.stage:
        values['stage_started_at'] = now
    if restart_guardrails:
        values['guarded_since'] = now
    if not status.active:
        values['ended_at'] = now
    fenced = sa.update(ROLLOUT).where(ROLLOUT.c.id == row.id, ROLLOUT.c.version == row.version).values(**values)
    if connection.execute(fenced).rowcount != 1:
        return False
    if status == RolloutStatus.PROMOTED:
        _promote(connection, row, now)
    queue_webhooks(connection, row.id, row.deployment_id)
    return True


def queue_webhooks(connection: sa.Connection, rollout_id: str, deployment_id: str) -> None:
    """`rollout.updated` with the rollout as the API returns it, queued in the change's own transaction."""
    from core.webhooks.outbox import enqueue_event  # here: the outbox imports the run path, which imports rollouts
    from core.webhooks.records import camel_record

    name = connection.execute(sa.select(DEPLOYMENT.c.name).where(DEPLOYMENT.c.id == deployment_id)).scalar_one()
    row = connection.execute(sa.select(ROLLOUT).where(ROLLOUT.c.id == rollout_id)).one()
    record = camel_record(view(connection, row, name))
    enqueue_event(connection, WebhookEvent.ROLLOUT_UPDATED, record, deployment=name, record_id=rollout_id)


def announce(bus: EventBus, rollout_id: str, deployment_name: str, status: RolloutStatus, **data: Any) -> None:
    """Tell the bus (after the commit): dashboards update, and webhooks send `rollout.updated`."""
    try:
        bus.publish(Event(EVENT_KIND, rollout_id, {'status': status.value, 'deployment': deployment_name, **data}))
    except Exception:  # the change is written; a listener that missed it re-reads the rollout
        log.exception('could not announce rollout %s', rollout_id)


def _promote(connection: sa.Connection, row: Any, now: datetime) -> None:
    """The deployment's current revision becomes the candidate's (its config with it), as one fenced UPDATE."""
    config = row.candidate
    promoted = (
        sa.update(DEPLOYMENT)
        .where(DEPLOYMENT.c.id == row.deployment_id, DEPLOYMENT.c.revision == row.stable_revision)
        .values(
            prompt_id=config['promptId'], prompt_version=config['promptVersion'], provider=config['provider'],
            model=config['model'], options=config['options'], revision=row.candidate_revision, updated_at=now,
        )
    )  # fmt: skip
    if connection.execute(promoted).rowcount != 1:  # edits are refused while a rollout runs: only a damaged database
        raise RuntimeError(f'deployment {row.deployment_id} left revision {row.stable_revision} during its rollout')


def _figures(runs: list[Any]) -> dict[Arm, ArmFigures]:
    figures = {}
    for arm in Arm:
        mine = [run for run in runs if run.arm == arm]
        failed = sum(1 for run in mine if run.status == ExecutionStatus.FAILED or run.result_valid is False)
        durations = [run.duration_ms for run in mine if run.status == ExecutionStatus.COMPLETED and run.duration_ms is not None]
        figures[arm] = ArmFigures(finished=len(mine), failed=failed, durations_ms=durations)
    return figures


def _summary(row: Any, latency: dict[str, float]) -> ArmSummary:
    if row is None:
        return ArmSummary(0, 0, 0, None, None, None, None)
    rate = row.failed / row.finished if row.finished else None
    cost = float(row.cost_usd) if row.cost_usd is not None else None
    return ArmSummary(row.executions, row.completed, row.failed, rate, latency.get('p50'), latency.get('p95'), cost)


def _entry(entry: dict) -> HistoryEntry:
    at = datetime.fromisoformat(entry['at'])
    return HistoryEntry(at, RolloutStatus(entry['status']), entry['stage'], entry['percent'], entry['by'], entry['reason'])
