"""The deployment page's rollout panel: the step, both versions side by side, the guardrails' verdict, the actions.

It shows the running or paused rollout, or the last one for a day after it ended (so a roll-back's reason stays in
sight), and follows it live: a rollout's changes of status come on the bus, its runs' figures on each finished run.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from nicegui import ui

from core.errors import DomainError
from core.events import GAP
from core.rollouts import outcomes, service
from core.rollouts.guardrails import milliseconds, percent
from core.rollouts.records import EVENT_KIND, RolloutView
from core.rollouts.vocabulary import RolloutStatus
from ui import feedback, live
from ui.rollout_chart import ArmsChart
from ui.session import SignedIn

ENDED_SHOWN_FOR = timedelta(hours=24)
IDLE_RELOAD_SECONDS = 15  # a re-read while nothing is heard: the safety net under the bus between processes
FIGURES_EVERY_SECONDS = 1.0  # at most one re-read of the arms' figures per second while runs finish
FINISHED = frozenset({'completed', 'failed', 'cancelled'})
STATUS_WORDS = {
    RolloutStatus.RUNNING: ('Rolling out', 'primary'),
    RolloutStatus.PAUSED: ('Paused', 'warning'),
    RolloutStatus.PROMOTED: ('Promoted', 'positive'),
    RolloutStatus.ROLLED_BACK: ('Rolled back', 'negative'),
    RolloutStatus.ABORTED: ('Aborted', 'grey'),
}
ACTIVE = {RolloutStatus.RUNNING, RolloutStatus.PAUSED}
ACTIONS = {  # action: (button, question, the statuses it applies to)
    'promote': ('Promote', 'Give the new version to every call now, ending the rollout?', ACTIVE),
    'pause': ('Pause', 'Pause the rollout? Calls keep their current split until you resume.', {RolloutStatus.RUNNING}),
    'resume': ('Resume', 'Resume the rollout? The current step starts over and is watched afresh.', {RolloutStatus.PAUSED}),
    'abort': ('Abort', 'Abort the rollout? Every call goes back to the current version.', ACTIVE),
}  # fmt: skip


class RolloutPanel:
    """`load()` reads the rollout and shows it (or hides the panel); `on_ended` runs when one stops being active."""

    def __init__(self, me: SignedIn, deployment: str, *, on_ended: Callable[[], Awaitable[None]]) -> None:
        self.me, self.deployment, self.on_ended = me, deployment, on_ended
        self.rollout: RolloutView | None = None
        with ui.card().classes('w-full gap-2').mark('rollout-panel') as self.card:
            with ui.row().classes('w-full items-center gap-3'):
                self.status = ui.badge().mark('rollout-status')
                self.title = ui.label().classes('font-semibold')
                self.step = ui.label().classes('text-slate-600').mark('rollout-step')
            self.progress = ui.linear_progress(value=0, show_value=False).props('size=10px rounded')
            self.verdict = ui.label().classes('text-sm').mark('rollout-verdict')
            self.arms = ui.table(columns=ARM_COLUMNS, rows=[], row_key='figure').props('flat dense bordered')
            self.arms.classes('w-full').mark('rollout-arms')
            self.chart = ArmsChart(me)
            with ui.row().classes('gap-2') as self.buttons:
                self.action_buttons = {
                    action: ui.button(label, on_click=lambda a=action: self._act(a)).props('outline').mark(f'rollout-{action}')
                    for action, (label, _, _) in ACTIONS.items()
                }
            self.buttons.visible = me.may('deployments:write')  # core refuses anyone else anyway
            with ui.expansion('History').classes('w-full text-sm'):
                self.history = ui.column().classes('gap-0')
        self.card.visible = False
        live.while_open(self._follow(), name=f'rollout panel {deployment}')

    async def load(self) -> None:
        try:
            latest = await self.me.act(outcomes.latest_rollout, self.deployment)
        except DomainError as error:
            feedback.failure(error)
            return
        was_active = self.rollout is not None and self.rollout.status.active
        self.rollout = latest if latest is None or latest.status.active or _recent(latest) else None
        self._show()
        if self.rollout is not None:
            await self.chart.show(self.rollout)
        if was_active and (self.rollout is None or not self.rollout.status.active):
            await self.on_ended()

    def _show(self) -> None:
        rollout = self.rollout
        self.card.visible = rollout is not None
        if rollout is None:
            return
        words, color = STATUS_WORDS[rollout.status]
        self.status.text, self.status.props['color'] = words, color
        self.status.update()
        self.title.text = f'Revision {rollout.candidate_revision} (new) vs revision {rollout.stable_revision} (current)'
        steps = len(rollout.stages)
        self.step.text = f'Step {rollout.stage + 1} of {steps}: {rollout.percent} % of calls get the new version'
        self.progress.value = rollout.percent / 100
        self.verdict.text = rollout.reason or 'No problem seen so far.'
        self.arms.rows = arm_rows(rollout)
        for action, button in self.action_buttons.items():
            button.visible = rollout.status in ACTIONS[action][2]
        self.history.clear()
        with self.history:
            for entry in reversed(rollout.history):
                ui.label(f'{entry.at:%Y-%m-%d %H:%M} · {entry.status.value.replace("_", " ")} · {entry.percent} % · '
                         f'{entry.by}: {entry.reason or ""}')  # fmt: skip

    async def _act(self, action: str) -> None:
        label, question, _ = ACTIONS[action]
        if not await feedback.confirm(question, action=label):
            return
        try:
            done = await self.me.act(service.act_on_current, self.deployment, action)
        except DomainError as error:
            feedback.failure(error)
            await self.load()
            return
        feedback.success(f'{STATUS_WORDS[done.status][0]}: revision {done.candidate_revision}')
        await self.load()

    async def _follow(self) -> None:
        """Re-read on this deployment's rollout events at once, on finished runs at most once a second."""
        kinds = frozenset({EVENT_KIND, 'status', GAP})
        async with self.me.core.bus.subscribe(kinds=kinds) as subscription:
            while True:
                event = await subscription.get(timeout=IDLE_RELOAD_SECONDS)
                active = self.rollout is not None and self.rollout.status.active
                if event is None or event.kind == GAP:
                    if active:
                        await self.load()
                elif event.kind == EVENT_KIND:
                    if event.data.get('deployment') == self.deployment:
                        await self.load()
                elif active and event.data.get('status') in FINISHED:
                    await asyncio.sleep(FIGURES_EVERY_SECONDS)
                    subscription.pending()  # the re-read covers the runs that finished meanwhile
                    await self.load()


ARM_COLUMNS = [
    {'name': 'figure', 'label': '', 'field': 'figure', 'align': 'left'},
    {'name': 'stable', 'label': 'Current version', 'field': 'stable', 'align': 'right'},
    {'name': 'candidate', 'label': 'New version', 'field': 'candidate', 'align': 'right'},
]


def arm_rows(rollout: RolloutView) -> list[dict]:
    """Both arms' figures over the whole rollout, one row per figure."""
    stable, candidate = rollout.arms.stable, rollout.arms.candidate
    rows = [
        ('Calls', lambda arm: f'{arm.executions:,}'),
        ('Failure rate', lambda arm: percent(arm.failure_rate) if arm.failure_rate is not None else '—'),
        ('p50 latency', lambda arm: milliseconds(arm.p50_ms) if arm.p50_ms is not None else '—'),
        ('p95 latency', lambda arm: milliseconds(arm.p95_ms) if arm.p95_ms is not None else '—'),
        ('Cost', lambda arm: usd(arm.cost_usd)),
    ]
    return [{'figure': name, 'stable': shown(stable), 'candidate': shown(candidate)} for name, shown in rows]


def usd(cost: float | None) -> str:
    """Unknown models have no price: shown as such, never as $0."""
    if cost is None:
        return 'no price known'
    return f'${cost:,.4f}' if cost < 1 else f'${cost:,.2f}'


def _recent(rollout: RolloutView) -> bool:
    ended = rollout.ended_at or rollout.updated_at
    return datetime.now(UTC) - (ended if ended.tzinfo else ended.replace(tzinfo=UTC)) < ENDED_SHOWN_FOR
