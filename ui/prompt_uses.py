"""The prompt page's deployments, and the question asked before a new version would change those that follow "latest"."""

from typing import Any

from nicegui import ui

from core import prompts
from core.errors import DomainError, Forbidden
from core.prompts import PromptView
from core.rollouts import prompt_versions
from core.rollouts.prompt_versions import PromptUse
from ui import feedback
from ui.session import SignedIn

CANCEL, NOW, GRADUAL = 'cancel', 'now', 'gradual'
CONTENT = ('template', 'input_schema', 'response_schema', 'accepts_file')


class PromptUses:
    """A card listing the deployments that run the prompt; `save(...)` is the editor's save of an existing prompt."""

    def __init__(self, me: SignedIn, prompt: PromptView) -> None:
        self.me, self.prompt = me, prompt
        with ui.card().classes('w-full gap-1').mark('prompt-uses'):
            ui.label('Deployments using it').classes('font-semibold')
            self.rows = ui.column().classes('w-full gap-1')

    async def load(self) -> list[PromptUse]:
        try:
            uses = await self.me.act(prompt_versions.prompt_uses, self.prompt.id)
        except Forbidden:
            uses = []
        except DomainError as error:
            feedback.failure(error)
            return []
        self.rows.clear()
        with self.rows:
            if not uses:
                ui.label('No deployment uses this prompt.').classes('text-sm text-slate-500')
            for use in uses:
                with ui.row().classes('items-center gap-2'):
                    ui.link(use.deployment, f'/deployments/{use.deployment}').classes('font-medium')
                    if use.follows_latest:
                        ui.badge('follows latest', color='primary').props('outline')
                    else:
                        ui.badge(f'pinned to v{use.prompt_version}', color='grey').props('outline')
                    if use.rolling_out:
                        ui.badge('rolling out', color='warning')
        return uses

    async def save(self, **content: Any) -> PromptView | None:
        """Save; when a new version would change deployments that follow "latest", ask first (None: not saved)."""
        followers = []
        if any(content[key] != getattr(self.prompt, key) for key in CONTENT):
            followers = [use for use in await self.load() if use.follows_latest]
        choice = await _ask(followers) if followers else NOW
        if choice == CANCEL:
            return None
        if choice == GRADUAL:
            saved, started = await self.me.act(prompt_versions.save_and_roll_out, self.prompt.id, content=content)
            if started:
                names = ', '.join(rollout.deployment for rollout in started)
                feedback.success(f'Rolling out version {saved.version} gradually to {names}')
        else:
            saved = await self.me.act(prompts.update_prompt, self.prompt.id, **content)
        self.prompt = saved
        await self.load()
        return saved


async def _ask(followers: list[PromptUse]) -> str:
    """Which way the new version should reach the deployments that follow "latest"."""
    names = ', '.join(use.deployment for use in followers)
    with ui.dialog() as dialog, ui.card().classes('w-[32rem]').mark('prompt-save-question'):
        ui.label('This new version changes live deployments').classes('text-lg font-semibold')
        ui.label(f'These deployments follow "latest" and would run the new version at once: {names}.').mark(
            'affected-deployments'
        )
        if any(use.rolling_out for use in followers):
            ui.label('Those already rolling out something else change at once either way.').classes('text-xs')
        ui.label(
            'You can instead roll it out gradually: a few of their calls get it first (5 %, then 25 %, 50 %, everyone), '
            'the rest keep the version they run now, and it stops by itself if it does worse.'
        ).classes('text-sm text-slate-600')
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(CANCEL)).props('flat').mark('save-cancel')
            ui.button('Change them now', on_click=lambda: dialog.submit(NOW)).props('outline').mark('save-now')
            ui.button('Roll out gradually', on_click=lambda: dialog.submit(GRADUAL)).mark('save-gradual')
    answer = await dialog
    dialog.delete()
    return answer or CANCEL
