"""The deployment page's figures over 24 h / 7 d / 30 d: calls and failures, p50/p95 latency, tokens, cost, with a mark
where the revision changed, and the same figures per revision in a table."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nicegui import ui

from core import deployments, metrics
from core.app import Core
from core.errors import DomainError
from core.permissions import Actor
from core.rollouts.guardrails import milliseconds, percent
from core.rollouts.outcomes import rollout_outcomes
from core.rollouts.vocabulary import RolloutStatus
from ui import feedback
from ui.rollout_panel import usd
from ui.session import SignedIn

SPANS = {'24 h': timedelta(hours=24), '7 d': timedelta(days=7), '30 d': timedelta(days=30)}
REVISION_COLUMNS = [
    {'name': 'revision', 'label': 'Revision', 'field': 'revision', 'align': 'left'},
    {'name': 'runs', 'label': 'Calls', 'field': 'runs', 'align': 'right'},
    {'name': 'failureRate', 'label': 'Failure rate', 'field': 'failureRate', 'align': 'right'},
    {'name': 'p50', 'label': 'p50', 'field': 'p50', 'align': 'right'},
    {'name': 'p95', 'label': 'p95', 'field': 'p95', 'align': 'right'},
    {'name': 'tokens', 'label': 'Tokens in / out', 'field': 'tokens', 'align': 'right'},
    {'name': 'cost', 'label': 'Cost', 'field': 'cost', 'align': 'right'},
]


@dataclass(frozen=True)
class Mark:
    """A moment the deployment's current revision changed."""

    at: datetime
    revision: int


@dataclass(frozen=True)
class ChartData:
    metrics: metrics.Metrics
    marks: list[Mark]


class MetricsCharts:
    """`load()` reads the chosen span (hourly buckets) and redraws the four charts and the table."""

    def __init__(self, me: SignedIn, deployment: str) -> None:
        self.me, self.deployment = me, deployment
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Calls, latency, tokens and cost').classes('font-semibold')
            self.span = ui.toggle(list(SPANS), value='24 h', on_change=self.load).props('dense').mark('metrics-span')
        with ui.grid(columns='repeat(auto-fit, minmax(22rem, 1fr))').classes('w-full gap-2'):
            self.charts = {name: ui.echart({}).classes('w-full h-56').mark(f'chart-{name}') for name in CHARTS}
        ui.label('Per revision').classes('text-sm font-medium')
        self.revisions = ui.table(columns=REVISION_COLUMNS, rows=[], row_key='revision').props('flat dense bordered')
        self.revisions.classes('w-full').mark('revision-figures')

    async def load(self) -> None:
        try:
            data = await self.me.act(chart_data, self.deployment, SPANS[self.span.value])
        except DomainError as error:
            feedback.failure(error)
            return
        labels = [_label(bucket.start) for bucket in data.metrics.buckets]
        marks = [{'xAxis': _label(mark.at), 'label': {'formatter': f'rev {mark.revision}'}} for mark in data.marks]
        for name, chart in self.charts.items():
            chart.options.clear()
            chart.options.update(CHARTS[name](labels, data.metrics.buckets, marks))
            chart.update()
        self.revisions.rows = [revision_row(figures) for figures in data.metrics.by_revision]


def chart_data(core: Core, actor: Actor, deployment: str, span: timedelta) -> ChartData:
    """The span's hourly figures and the revision changes inside it."""
    end = datetime.now(UTC)
    start = end - span
    figures = metrics.deployment_metrics(core, actor, deployment, start=start, end=end, bucket='hour')
    return ChartData(figures, [mark for mark in revision_marks(core, actor, deployment) if start <= mark.at < end])


def revision_marks(core: Core, actor: Actor, deployment: str) -> list[Mark]:
    """When each revision became current: when written, or for a rollout's candidate when promoted (if ever)."""
    candidates = rollout_outcomes(core, actor, deployment)
    marks = []
    for revision in deployments.list_revisions(core, actor, deployment):
        rollout = candidates.get(revision.revision)
        if rollout is None:
            marks.append(Mark(_utc(revision.created_at), revision.revision))
        elif rollout.status == RolloutStatus.PROMOTED and rollout.ended_at is not None:
            marks.append(Mark(_utc(rollout.ended_at), revision.revision))
    return marks


def revision_row(figures: metrics.RevisionFigures) -> dict:
    finished = figures.completed + figures.failed
    return {
        'revision': f'rev {figures.revision}' if figures.revision is not None else '—',
        'runs': f'{figures.executions:,}',
        'failureRate': percent(figures.failed / finished) if finished else '—',
        'p50': milliseconds(figures.p50_ms) if figures.p50_ms is not None else '—',
        'p95': milliseconds(figures.p95_ms) if figures.p95_ms is not None else '—',
        'tokens': f'{figures.input_tokens:,} / {figures.output_tokens:,}',
        'cost': usd(figures.cost_usd),
    }


def _chart(title: str, labels: list[str], series: list[dict], marks: list[dict], unit: str) -> dict:
    if series:
        series[0]['markLine'] = {'symbol': 'none', 'data': marks, 'lineStyle': {'type': 'dashed'}}
    return {
        'title': {'text': title, 'textStyle': {'fontSize': 13}},
        'tooltip': {'trigger': 'axis'},
        'legend': {'top': 0, 'right': 0},
        'grid': {'left': 50, 'right': 20, 'top': 40, 'bottom': 30},
        'xAxis': {'type': 'category', 'data': labels},
        'yAxis': {'type': 'value', 'name': unit},
        'series': series,
    }


def _volume(labels: list[str], buckets: list[metrics.Bucket], marks: list[dict]) -> dict:
    series = [
        {'name': 'calls', 'type': 'bar', 'data': [b.executions for b in buckets]},
        {'name': 'failed', 'type': 'bar', 'data': [b.failed for b in buckets], 'color': '#dc2626'},
    ]
    return _chart('Calls and failures', labels, series, marks, 'calls')


def _latency(labels: list[str], buckets: list[metrics.Bucket], marks: list[dict]) -> dict:
    series = [
        {'name': 'p50', 'type': 'line', 'data': [b.p50_ms for b in buckets], 'connectNulls': True},
        {'name': 'p95', 'type': 'line', 'data': [b.p95_ms for b in buckets], 'connectNulls': True},
    ]
    return _chart('Latency', labels, series, marks, 'ms')


def _tokens(labels: list[str], buckets: list[metrics.Bucket], marks: list[dict]) -> dict:
    series = [
        {'name': 'input', 'type': 'bar', 'stack': 'tokens', 'data': [b.input_tokens for b in buckets]},
        {'name': 'output', 'type': 'bar', 'stack': 'tokens', 'data': [b.output_tokens for b in buckets]},
    ]
    return _chart('Tokens', labels, series, marks, 'tokens')


def _cost(labels: list[str], buckets: list[metrics.Bucket], marks: list[dict]) -> dict:
    series = [{'name': 'cost', 'type': 'bar', 'data': [b.cost_usd for b in buckets]}]  # no price known: no bar
    return _chart('Cost', labels, series, marks, 'USD')


CHARTS = {'volume': _volume, 'latency': _latency, 'tokens': _tokens, 'cost': _cost}


def _label(moment: datetime) -> str:
    """The hourly bucket a moment falls in, as the x axis names it."""
    return _utc(moment).strftime('%m-%d %H:00')


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
