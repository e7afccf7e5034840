"""A rollout's two versions over time: calls and failure rate per hour (per day for a long rollout), side by side."""

from datetime import UTC, datetime, timedelta

from nicegui import ui

from core import metrics
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from core.rollouts.records import RolloutView
from core.rollouts.vocabulary import Arm
from ui import feedback
from ui.session import SignedIn

DAILY_AFTER = timedelta(days=3)
ARM_NAMES = {Arm.STABLE: 'Current', Arm.CANDIDATE: 'New'}


class ArmsChart:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
        self.chart = ui.echart(_options([], {})).classes('w-full h-64').mark('rollout-chart')

    async def show(self, rollout: RolloutView) -> None:
        try:
            per_arm = await self.me.act(arm_metrics, rollout)
        except DomainError as error:
            feedback.failure(error)
            return
        labels = [bucket.start.strftime('%m-%d %H:%M') for bucket in next(iter(per_arm.values())).buckets]
        self.chart.options.clear()
        self.chart.options.update(_options(labels, per_arm))
        self.chart.update()


def arm_metrics(core: Core, actor: Actor, rollout: RolloutView) -> dict[Arm, metrics.Metrics]:
    """Each arm's figures from the rollout's start to its end (or now), in hourly or daily buckets."""
    start = _utc(rollout.started_at)
    end = _utc(rollout.ended_at) + timedelta(seconds=1) if rollout.ended_at else datetime.now(UTC)
    bucket = 'day' if end - start > DAILY_AFTER else 'hour'
    return {
        arm: metrics.deployment_metrics(
            core, actor, rollout.deployment, start=start, end=end, bucket=bucket, rollout_id=rollout.id, arm=arm.value
        )
        for arm in Arm
    }


def _options(labels: list[str], per_arm: dict[Arm, metrics.Metrics]) -> dict:
    series = []
    for arm, figures in per_arm.items():
        name = ARM_NAMES[arm]
        series.append({'name': f'{name}: calls', 'type': 'bar', 'data': [b.executions for b in figures.buckets]})
        rates = [round(100 * b.failed / b.executions, 1) if b.executions else None for b in figures.buckets]
        series.append({'name': f'{name}: failure %', 'type': 'line', 'yAxisIndex': 1, 'data': rates, 'connectNulls': True})
    return {
        'tooltip': {'trigger': 'axis'},
        'legend': {'top': 0},
        'grid': {'left': 50, 'right': 50, 'top': 40, 'bottom': 30},
        'xAxis': {'type': 'category', 'data': labels},
        'yAxis': [{'type': 'value', 'name': 'calls'}, {'type': 'value', 'name': 'failure %', 'max': 100}],
        'series': series,
    }


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
