"""Execution and run bodies."""

from uuid import UUID

from pydantic import Field

from api.schemas.common import PageFields, RequestModel, ResponseModel, public_model
from api.schemas.deployments import Options
from core.executions import ExecutionView
from core.vocabulary import ExecutionStatus


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


ExecutionPublic = public_model(ExecutionView, 'ExecutionPublic')


class ExecutionsPublic(PageFields):
    items: list[ExecutionPublic]
