"""Prompts: CRUD, their versions, and a render preview."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CoreDep, PageNumber, PageSize, PromptsRead, PromptsWrite
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.prompts import (
    PreviewPublic,
    PreviewRequest,
    PromptCreate,
    PromptPublic,
    PromptsPublic,
    PromptUpdate,
    PromptVersionsPublic,
)
from core import prompts

router = APIRouter(prefix='/prompts', tags=['prompts'], responses=RESPONSES)


@router.get('', response_model=PromptsPublic)
def list_prompts(
    core: CoreDep,
    actor: PromptsRead,
    search: Annotated[str | None, Query(max_length=200, description='part of the name')] = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
):
    """Prompts at their latest version, paged."""
    return PromptsPublic.model_validate(prompts.list_prompts(core, actor, search=search, page=page, page_size=page_size))


@router.post('', status_code=201, response_model=PromptPublic, responses=CONFLICT)
def create_prompt(core: CoreDep, actor: PromptsWrite, body: PromptCreate):
    """A new prompt at version 1."""
    return prompts.create_prompt(
        core, actor, name=body.name, template=body.template, input_schema=body.input_schema,
        response_schema=body.response_schema, accepts_file=body.accepts_file,
    )  # fmt: skip


@router.get('/{ref}', response_model=PromptPublic, responses=NOT_FOUND)
def get_prompt(core: CoreDep, actor: PromptsRead, ref: str, version: Annotated[int | None, Query(ge=1)] = None):
    """One prompt by id or name, at its latest version or the one asked for."""
    return prompts.get_prompt(core, actor, ref, version=version)


@router.patch('/{ref}', response_model=PromptPublic, responses={**NOT_FOUND, **CONFLICT})
def update_prompt(core: CoreDep, actor: PromptsWrite, ref: str, body: PromptUpdate):
    """Rename, or change the template or schemas (which makes a new version)."""
    return prompts.update_prompt(core, actor, ref, **body.changes())


@router.delete('/{ref}', status_code=204, responses={**NOT_FOUND, **CONFLICT})
def delete_prompt(core: CoreDep, actor: PromptsWrite, ref: str) -> None:
    """Delete it with its versions; refused (409) while a deployment uses it."""
    prompts.delete_prompt(core, actor, ref)


@router.get('/{ref}/versions', response_model=PromptVersionsPublic, responses=NOT_FOUND)
def list_versions(core: CoreDep, actor: PromptsRead, ref: str):
    """Every version, newest first."""
    return PromptVersionsPublic(items=prompts.list_versions(core, actor, ref))


@router.post('/{ref}/preview', response_model=PreviewPublic, responses=NOT_FOUND)
def preview_prompt(core: CoreDep, actor: PromptsRead, ref: str, body: PreviewRequest):
    """The messages a run with this input would send, without running anything."""
    messages = prompts.preview_prompt(
        core, actor, ref, user_input=body.user_input, variables=body.variables, version=body.version
    )
    return PreviewPublic(messages=messages)
