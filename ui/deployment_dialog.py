"""Create or edit a deployment: prompt and version, provider, a model list loaded from that provider, options."""

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from core import deployments, prompts, provider_status
from core.app import Core
from core.deployments import DeploymentView
from core.errors import DomainError
from core.permissions import Actor
from core.rollouts import service as rollouts
from ui import feedback
from ui.display import provider_name
from ui.option_inputs import OptionInputs
from ui.rollout_choice import RolloutChoice
from ui.session import SignedIn

LATEST = 'latest'
NAME_RULE = 'Lowercase letters, digits, - and _; up to 100 characters. Outside systems call the deployment by this name.'
NAME_FIXED = 'The name cannot change: outside systems call the deployment by it. Create a new deployment to use another name.'


class DeploymentDialog:
    """One dialog for both create (deployment=None) and edit; `on_saved` gets the saved deployment."""

    def __init__(self, me: SignedIn, *, on_saved: Callable[[DeploymentView], Awaitable[None] | None]) -> None:
        self.me, self.core, self.on_saved = me, me.core, on_saved
        self.editing: DeploymentView | None = None
        self._filling = False  # while the form is filled in code, the change handlers stay quiet
        with ui.dialog() as self.dialog, ui.card().classes('w-[36rem] max-w-full gap-2'):
            self.title = ui.label().classes('text-lg font-semibold')
            self.name = ui.input('Name').classes('w-full').mark('deployment-name')
            self.name_help = ui.label().classes('text-xs text-slate-500 -mt-1')
            self.prompt = ui.select({}, label='Prompt', on_change=self._prompt_chosen, with_input=True).mark('prompt')
            self.version = ui.select({LATEST: 'latest'}, value=LATEST, label='Prompt version').mark('prompt-version')
            providers = {name: provider_name(name) for name in self.core.registry.names}
            self.provider = ui.select(providers, label='Provider', on_change=self._provider_chosen).mark('provider')
            for field in (self.prompt, self.version, self.provider):
                field.classes('w-full')
            with ui.row().classes('w-full items-center no-wrap'):
                self.model = ui.select([], label='Model', with_input=True).classes('grow').mark('model')
                self.spinner = ui.spinner(size='md')
                self.spinner.visible = False
                self.refresh = ui.button(
                    icon='refresh', on_click=lambda: self._load_models(refresh=True, keep=self.model.value)
                ).props('flat dense')
                self.refresh.tooltip('Reload the model list from the provider')
            self.options = OptionInputs(self.core)
            self.rollout = RolloutChoice()
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=self.dialog.close).props('flat')
                self.save_button = ui.button('Save', on_click=self._save).mark('save-deployment')
        self.fields = {
            'name': self.name,
            'promptId': self.prompt,
            'promptVersion': self.version,
            'provider': self.provider,
            'model': self.model,
            **self.options.fields,
            **self.rollout.fields,
        }

    async def open_new(self) -> None:
        self.editing = None
        self.title.text = 'New deployment'
        self.name.enable()
        self.name_help.text = NAME_RULE
        self.rollout.reset(offered=False)
        if await self._fill(name='', prompt_id=None, version=LATEST, provider=None, model=None, options={}):
            self.dialog.open()

    async def open_edit(self, deployment: DeploymentView) -> None:
        self.editing = deployment
        self.title.text = f'Edit {deployment.name}'
        self.name.disable()
        self.name_help.text = NAME_FIXED
        self.rollout.reset(offered=True)
        filled = await self._fill(
            name=deployment.name,
            prompt_id=deployment.prompt_id,
            version=str(deployment.prompt_version) if deployment.prompt_version else LATEST,
            provider=deployment.provider,
            model=deployment.model,
            options=deployment.options,
        )
        if not filled:
            return
        self.dialog.open()
        background_tasks.create(self._load_models(keep=deployment.model), name='load models', context=self.dialog)

    async def _fill(
        self, *, name: str, prompt_id: str | None, version: str, provider: str | None, model: str | None, options: dict
    ) -> bool:
        """Fill the form; False (and the reason shown) when the prompts cannot be read."""
        feedback.clear_invalid(self.fields)
        try:
            prompt_options = await self.me.act(_prompt_options)
        except DomainError as error:
            feedback.failure(error)
            return False
        self._filling = True
        try:
            self.name.value = name
            self.prompt.set_options(prompt_options, value=prompt_id)
            await self._fill_versions(prompt_id, version)
            self.provider.value = provider
            self.model.set_options([model] if model else [], value=model)
        finally:
            self._filling = False
        self.options.show(provider, options)
        return True

    async def _prompt_chosen(self) -> None:
        if not self._filling:
            await self._fill_versions(self.prompt.value, LATEST)

    async def _fill_versions(self, prompt_id: str | None, value: str) -> None:
        versions = {LATEST: 'latest'}
        if prompt_id:
            try:
                for version in await self.me.act(prompts.list_versions, prompt_id):
                    versions[str(version.version)] = f'v{version.version}'
            except DomainError as error:
                feedback.failure(error)
        self.version.set_options(versions, value=value if value in versions else LATEST)

    async def _provider_chosen(self) -> None:
        if self._filling:
            return
        self.options.show(self.provider.value, self.options.values())
        await self._load_models()

    async def _load_models(self, *, refresh: bool = False, keep: str | None = None) -> None:
        """Ask the chosen provider for its models; a spinner meanwhile, the provider's complaint if it fails.

        `keep` stays chosen (and listed) even when the provider no longer lists it, so an edit never loses the model.
        """
        provider = self.provider.value
        self.model.set_options([keep] if keep else [], value=keep)
        self.model.error = None
        if not provider:
            return
        self.spinner.visible, self.save_button.enabled = True, False
        try:
            models = await self.me.act(provider_status.list_models, provider, refresh=refresh)
        except DomainError as error:
            self.model.error = f'Could not list {provider} models: {feedback.message_of(error)}'
            models = []
        finally:
            self.spinner.visible, self.save_button.enabled = False, True
        if provider == self.provider.value:  # the person may have picked another provider meanwhile
            chosen = keep or self.model.value
            self.model.set_options(models + ([chosen] if chosen and chosen not in models else []), value=chosen)

    async def _save(self) -> None:
        feedback.clear_invalid(self.fields)
        try:
            options = self.options.values()
            version = None if self.version.value in (None, LATEST) else int(self.version.value)
            if self.editing is None:
                saved = await self.me.act(
                    deployments.create_deployment,
                    name=(self.name.value or '').strip(),
                    prompt_id=self.prompt.value or '',
                    prompt_version=version,
                    provider=self.provider.value or '',
                    model=self.model.value or '',
                    options=options,
                )
            else:
                changes = self._changes(version=version, options=options)
                if not changes:
                    self.dialog.close()
                    feedback.success('Nothing changed')
                    return
                if self.rollout.gradual:
                    await self._start_rollout(changes)
                    return
                saved = await self.me.act(deployments.update_deployment, self.editing.id, changes=changes)
        except DomainError as error:
            feedback.show_error(self.fields, error)
            return
        self.dialog.close()
        feedback.success(f'Saved {saved.name} (revision {saved.revision})')
        result = self.on_saved(saved)
        if result is not None:
            await result

    async def _start_rollout(self, changes: dict) -> None:
        """The change becomes a candidate revision that a share of calls gets; the deployment stays as it is meanwhile."""
        assert self.editing is not None
        try:
            started = await self.me.act(
                rollouts.start_rollout, self.editing.id, changes=changes, settings=self.rollout.settings()
            )
        except DomainError as error:
            feedback.show_error(_unprefixed(self.fields), error)
            return
        self.dialog.close()
        feedback.success(f'Rolling out revision {started.candidate_revision}: {started.percent} % of calls get it first')
        result = self.on_saved(self.editing)
        if result is not None:
            await result

    def _changes(self, *, version: int | None, options: dict) -> dict:
        """Only what differs from the deployment being edited, so an unchanged save writes no revision."""
        assert self.editing is not None
        wanted = {
            'prompt_id': self.prompt.value,
            'prompt_version': version,
            'provider': self.provider.value,
            'model': self.model.value,
            'options': options,
        }
        return {key: value for key, value in wanted.items() if getattr(self.editing, key) != value}


def _unprefixed(fields: dict) -> dict:
    """The form's fields also under the names a rollout's errors use ('changes.model' for the model)."""
    return {**fields, **{f'changes.{name}': field for name, field in fields.items()}}


def _prompt_options(core: Core, actor: Actor) -> dict[str, str]:
    """Every prompt by name (paged through core, 100 at a time)."""
    options, page = {}, 1
    while True:
        result = prompts.list_prompts(core, actor, page=page, page_size=100)
        options.update({p.id: p.name for p in result.items})
        if page * result.page_size >= result.total or not result.items:
            return options
        page += 1
