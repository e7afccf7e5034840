"""Bulk actions of the deployments table: change model or options, or delete, with a confirmation listing each change."""

from collections.abc import Awaitable, Callable

from nicegui import ui

from core import deployment_batches
from core.deployment_batches import PlannedChange
from core.errors import DomainError
from core.options import OPTION_SPECS, OptionSpec
from ui import display, feedback
from ui.session import SignedIn


class DeploymentBatch:
    """`change(ids)` and `delete(ids, names)` each ask, then act through core (all or nothing), then call `on_done`."""

    def __init__(self, me: SignedIn, *, on_done: Callable[[], Awaitable[None]]) -> None:
        self.me, self.on_done = me, on_done

    async def change(self, ids: list[str]) -> None:
        changes = await self._ask_changes(len(ids))
        if changes is None:
            return
        try:
            plan = await self.me.act(deployment_batches.plan_change, ids=ids, changes=changes)
        except DomainError as error:
            feedback.failure(error)
            return
        changed = [change for change in plan if change.changed]
        if not changed:
            feedback.failure('Nothing to change: the selected deployments already have these settings.')
            return
        lines = [describe(change) for change in changed]
        question = f'Save a new revision of {len(changed)} deployment(s)? All of them change, or none.'
        if not await confirm_list(question, lines, action=f'Change {len(changed)}'):
            return
        try:
            count = await self.me.act(deployment_batches.apply_change, plan=plan)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Changed {count} deployment(s); each has a new revision')
        await self.on_done()

    async def delete(self, ids: list[str], names: list[str]) -> None:
        question = f'Delete these {len(ids)} deployment(s)? Their executions stay readable.'
        if not await confirm_list(question, names, action=f'Delete {len(ids)}'):
            return
        try:
            count = await self.me.act(deployment_batches.delete_deployments, ids=ids)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success(f'Deleted {count} deployment(s)')
        await self.on_done()

    async def _ask_changes(self, count: int) -> dict | None:
        """The model and options to set on every selected deployment (a blank field leaves that setting as it is), and
        the options to remove, so the provider's default applies again."""
        with ui.dialog() as dialog, ui.card().classes('w-[28rem] gap-2'):
            ui.label(f'Change {count} deployment(s)').classes('text-lg font-semibold')
            ui.label(
                'Fill in only what should change; blank fields keep each deployment as it is. '
                'Tick "Provider default" to remove an option from every one of them.'
            ).classes('text-sm')
            model = ui.input('Model').classes('w-full').mark('batch-model')
            options = {key: OptionChange(spec) for key, spec in OPTION_SPECS.items()}
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
                ui.button('Review changes', on_click=lambda: dialog.submit(_changes(model.value, options)))
        changes = await dialog
        dialog.delete()
        if changes == {}:
            feedback.failure('Fill in a model or an option to change.')
            return None
        return changes


class OptionChange:
    """One option of the batch form: a new value, or "Provider default" to remove it (its number field then clears)."""

    def __init__(self, spec: OptionSpec) -> None:
        self.spec = spec
        with ui.row().classes('w-full items-center no-wrap gap-2'):
            self.field = ui.number(spec.label).classes('grow').mark(f'batch-{spec.key}')
            self.field.props(f'hint="{spec.range_text}"')
            self.default = ui.checkbox('Provider default', on_change=self._defaulted).mark(f'batch-default-{spec.key}')
            self.default.props(f'aria-label="{spec.label}: provider default"')

    @property
    def change(self) -> tuple[bool, float | int | None]:
        """Whether the option changes, and to what (None: removed)."""
        if self.default.value:
            return True, None
        value = self.field.value
        if value is None:
            return False, None
        # the number input yields floats; core takes a whole one for an integer option
        return True, int(value) if self.spec.integer and float(value).is_integer() else value

    def _defaulted(self) -> None:
        self.field.value = None
        self.field.set_enabled(not self.default.value)


def describe(change: PlannedChange) -> str:
    """'billing-bot: model gpt-4o-mini → gpt-4o; options temperature 0.2 → temperature 0.5'."""
    parts = []
    if change.before['model'] != change.after['model']:
        parts.append(f'model {change.before["model"]} → {change.after["model"]}')
    if change.before['options'] != change.after['options']:
        before, after = (display.options_text(change.before['options']), display.options_text(change.after['options']))
        parts.append(f'options {before} → {after}')
    return f'{change.name}: {"; ".join(parts)}'


async def confirm_list(question: str, lines: list[str], *, action: str) -> bool:
    """Ask, listing every item the action touches."""
    with ui.dialog() as dialog, ui.card().classes('w-[36rem] gap-2'):
        ui.label(question).classes('font-semibold')
        with ui.column().classes('w-full max-h-80 overflow-auto border rounded gap-1 p-2').mark('confirm-list'):
            for line in lines:
                ui.label(line).classes('text-sm')
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat').mark('confirm-no')
            ui.button(action, color='negative', on_click=lambda: dialog.submit(True)).mark('confirm-yes')
    answer = await dialog
    dialog.delete()
    return bool(answer)


def _changes(model: str | None, options: dict[str, OptionChange]) -> dict:
    """The batch's changes as core takes them: an option set to None is removed."""
    changes: dict = {}
    if model and model.strip():
        changes['model'] = model.strip()
    chosen = {}
    for key, option in options.items():
        changed, value = option.change
        if changed:
            chosen[key] = value
    if chosen:
        changes['options'] = chosen
    return changes
