"""A deployment's revisions: what each changed against the one before, field by field, and where it came from
(a rollout's promotion, a candidate that was rolled back, a return to an earlier configuration)."""

from collections.abc import Awaitable, Callable

from nicegui import ui

from core import deployments
from core.app import Core
from core.deployments import RevisionView
from core.permissions import Actor
from core.rollouts.outcomes import Outcome, rollout_outcomes
from core.rollouts.vocabulary import RolloutStatus
from ui import display
from ui.local_time import line_with_times

SHOWN_REVISIONS = 50
OPTION_NAMES = display.OPTION_LABELS
ROLLOUT_WORDS = {
    RolloutStatus.PROMOTED: ('promoted from a rollout', 'positive'),
    RolloutStatus.ROLLED_BACK: ('rolled back by its rollout', 'negative'),
    RolloutStatus.ABORTED: ('rollout aborted', 'grey'),
    RolloutStatus.RUNNING: ('rolling out', 'primary'),
    RolloutStatus.PAUSED: ('rollout paused', 'warning'),
}


def revision_history(core: Core, actor: Actor, deployment: str) -> tuple[list[RevisionView], dict[int, Outcome]]:
    """The revisions, newest first, and what became of each rollout's candidate revision."""
    return deployments.list_revisions(core, actor, deployment), rollout_outcomes(core, actor, deployment)


def changes(before: dict | None, after: dict) -> list[str]:
    """What `after` changed against `before`, one line per field ('model: gpt-4o-mini → gpt-4o')."""
    if before is None:
        return ['first configuration']
    lines = []
    if before.get('promptId') != after.get('promptId'):
        lines.append('prompt: another prompt')
    if before.get('promptVersion') != after.get('promptVersion'):
        lines.append(f'prompt version: {_version(before.get("promptVersion"))} → {_version(after.get("promptVersion"))}')
    if before.get('provider') != after.get('provider'):
        lines.append(f'provider: {_provider(before.get("provider"))} → {_provider(after.get("provider"))}')
    if before.get('model') != after.get('model'):
        lines.append(f'model: {before.get("model")} → {after.get("model")}')
    old, new = before.get('options') or {}, after.get('options') or {}
    known = list(OPTION_NAMES)
    for key in sorted(set(old) | set(new), key=lambda k: (known.index(k) if k in known else len(known), k)):
        if old.get(key) != new.get(key):
            lines.append(f'{OPTION_NAMES.get(key, key)}: {_option(old.get(key))} → {_option(new.get(key))}')
    return lines or ['no change']


def restored(revisions: list[RevisionView], index: int) -> int | None:
    """The earlier revision (not the one just before) whose configuration this one brings back, if any."""
    config = revisions[index].config
    for earlier in revisions[index + 2 :]:
        if earlier.config == config:
            return earlier.revision
    return None


class RevisionList:
    """`show(current)` lists the revisions; `on_rollback(revision)` is called once the person confirmed."""

    def __init__(self, *, can_write: bool, on_rollback: Callable[[int], Awaitable[None]]) -> None:
        self.can_write, self.on_rollback = can_write, on_rollback
        self.column = ui.column().classes('w-full gap-1').mark('revisions')

    def show(self, revisions: list[RevisionView], rollouts: dict[int, Outcome], current: int) -> None:
        self.column.clear()
        with self.column:
            for index, revision in enumerate(revisions[:SHOWN_REVISIONS]):
                before = revisions[index + 1].config if index + 1 < len(revisions) else None
                rollout = rollouts.get(revision.revision)
                back_to = restored(revisions, index) if rollout is None else None
                self._row(revision, changes(before, revision.config), rollout, back_to, current)

    def _row(self, revision: RevisionView, lines: list[str], rollout: Outcome | None, back_to: int | None, current: int) -> None:
        with ui.row().classes('w-full items-center gap-3 border-b py-1 no-wrap'):
            ui.label(f'rev {revision.revision}').classes('font-mono w-16 shrink-0')
            line_with_times(f'{revision.created_by or "—"} ·', revision.created_at, classes='text-slate-500 w-72')
            with ui.column().classes('grow gap-0'):
                for line in lines:
                    ui.label(line).classes('text-sm')
            if rollout is not None:
                words, color = ROLLOUT_WORDS[rollout.status]
                ui.badge(words, color=color)
            if back_to is not None:
                ui.badge(f'back to rev {back_to}', color='secondary').props('outline')
            if revision.revision == current:
                ui.badge('current', color='positive')
            elif rollout is None or rollout.status == RolloutStatus.PROMOTED:  # a candidate never current: nothing to restore
                number = revision.revision
                button = ui.button(f'Roll back to rev {number}', on_click=lambda n=number: self.on_rollback(n))
                button.props('flat dense').set_enabled(self.can_write)


def _version(version: int | None) -> str:
    return f'v{version}' if version else 'latest'


def _option(value: float | None) -> str:
    return 'default' if value is None else f'{value:g}'


def _provider(name: str | None) -> str:
    return display.provider_name(name or '')
