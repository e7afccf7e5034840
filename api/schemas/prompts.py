"""Prompt request and response bodies."""

from typing import Any

from pydantic import Field

from api.schemas.common import PageFields, RequestModel, ResponseModel, public_model
from core.prompts import PromptVersionView, PromptView


class PromptCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    template: str = Field(min_length=1, description='mustache; no HTML escaping')
    input_schema: dict[str, Any] | None = Field(default=None, description='JSON Schema the input must match')
    response_schema: dict[str, Any] | None = Field(default=None, description='JSON Schema the result is checked against')
    accepts_file: bool = False


class PromptUpdate(RequestModel):
    """Only the fields sent change; a changed template or schema makes a new version. null clears a schema."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    template: str | None = Field(default=None, min_length=1)
    input_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    accepts_file: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The sent fields as core's keyword arguments (explicit null matters only for the schemas)."""
        sent = self.model_dump(exclude_unset=True)
        return {key: value for key, value in sent.items() if value is not None or key.endswith('_schema')}


PromptPublic = public_model(PromptView, 'PromptPublic')


class PromptsPublic(PageFields):
    items: list[PromptPublic]


PromptVersionPublic = public_model(PromptVersionView, 'PromptVersionPublic')


class PromptVersionsPublic(ResponseModel):
    items: list[PromptVersionPublic]


class PreviewRequest(RequestModel):
    user_input: str | None = Field(default=None, description='as for a run: the text the template shows as {{input}}')
    variables: dict[str, Any] | None = Field(default=None, description="as for a run: the template's other variables")
    version: int | None = Field(default=None, ge=1, description='defaults to the latest')


class PreviewPublic(ResponseModel):
    messages: list[dict[str, Any]] = Field(description='what a run would send: [{role, content}]')
