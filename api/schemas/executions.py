"""Execution and run bodies."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from api.schemas.common import PageFields, RequestModel, ResponseModel
from api.schemas.deployments import Options
from core.vocabulary import ExecutionStatus, Origin, Provider


class RunRequest(RequestModel):
    user_input: str = Field(min_length=1, description='the text (or a JSON object of template variables) to run with')
    options: Options | None = Field(default=None, description="overrides the deployment's options for this run")
    trace_id: str | None = Field(default=None, max_length=200, description='your id, stored and filterable')
    file_id: UUID | None = Field(default=None, description='an uploaded file, for prompts that accept one')


class RunAccepted(ResponseModel):
    execution_id: str
    status: ExecutionStatus
    deployment: str
    revision: int | None


class ExecutionPublic(ResponseModel):
    id: str
    status: ExecutionStatus
    deployment_id: str | None
    deployment_name: str | None
    revision: int | None
    prompt_id: str | None
    prompt_version: int | None
    provider: Provider
    model: str
    options: dict[str, Any]
    user_input: str
    messages: list[dict[str, Any]]
    result: str | None
    result_valid: bool | None
    result_validation_message: str | None
    error: str | None
    input_tokens: int | None
    output_tokens: int | None
    duration_ms: int | None
    attempts: int
    trace_id: str | None
    file_id: str | None
    origin: Origin
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None


class ExecutionsPublic(PageFields):
    items: list[ExecutionPublic]
