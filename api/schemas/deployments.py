"""Deployment request and response bodies."""

from typing import Any

from pydantic import Field

from api.schemas.common import PageFields, RequestModel, ResponseModel, public_model
from core.deployments import DeploymentView, RevisionView
from core.options import MAX_TOKENS_LIMIT, OPTION_SPECS
from core.vocabulary import Provider

NAME_PATTERN = r'^[a-z0-9_-]+$'


class Options(RequestModel):
    """Sampling options; a provider that lacks one (OpenAI has no topK) rejects it."""

    temperature: float | None = Field(default=None, ge=0, le=1, description=OPTION_SPECS['temperature'].purpose)
    top_p: float | None = Field(default=None, ge=0, le=1, description=OPTION_SPECS['topP'].purpose)
    top_k: int | None = Field(default=None, ge=1, description=OPTION_SPECS['topK'].purpose)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT, description=OPTION_SPECS['maxTokens'].purpose)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class DeploymentCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN, description='a slug; immutable; not shaped like a UUID')
    prompt_id: str = Field(min_length=1, max_length=36)
    prompt_version: int | None = Field(default=None, ge=1, description='a pinned version, or null for the latest')
    provider: Provider
    model: str = Field(min_length=1, max_length=200)
    options: Options | None = None


class ConfigChanges(RequestModel):
    """A change of a deployment's configuration: the fields sent (and not null) change; `options` replaces the set."""

    prompt_id: str | None = Field(default=None, min_length=1, max_length=36)
    prompt_version: int | None = Field(default=None, ge=1, description='a pinned version, or null for the latest')
    provider: Provider | None = None
    model: str | None = Field(default=None, min_length=1, max_length=200)
    options: Options | None = None

    def changes(self) -> dict[str, Any]:
        """The sent fields in core's snake_case (an explicit null matters only for promptVersion)."""
        sent = self.model_dump(exclude_unset=True)
        changes = {key: value for key, value in sent.items() if value is not None or key == 'prompt_version'}
        if 'options' in changes:
            changes['options'] = self.options.as_dict() if self.options else {}
        return changes


class DeploymentUpdate(ConfigChanges):
    """Only the fields sent (and not null) change; `name` may be sent only unchanged; `options` replaces the whole set."""

    name: str | None = Field(default=None, min_length=1, max_length=100)


DeploymentPublic = public_model(DeploymentView, 'DeploymentPublic')


class DeploymentsPublic(PageFields):
    items: list[DeploymentPublic]


RevisionPublic = public_model(
    RevisionView, 'RevisionPublic', descriptions={'config': 'promptId, promptVersion, provider, model, options'}
)


class RevisionsPublic(ResponseModel):
    items: list[RevisionPublic]
