"""Execution and run bodies."""

from typing import Any
from uuid import UUID

from pydantic import Field

from api.schemas.common import PageFields, RequestModel, ResponseModel, public_model
from api.schemas.deployments import Options
from core.engine.attempts import Attempt
from core.executions import ExecutionDetail, ExecutionView
from core.vocabulary import ExecutionStatus


class RunRequest(RequestModel):
    """At least one of `userInput` and `variables`."""

    user_input: str | None = Field(
        default=None,
        min_length=1,
        description='the text the template shows as {{input}} (without `variables`, a JSON object here fills them)',
    )
    variables: dict[str, Any] | None = Field(default=None, description='the template\'s other variables, such as {"name": "Ada"}')
    options: Options | None = Field(default=None, description="overrides the deployment's options for this run")
    trace_id: str | None = Field(default=None, max_length=200, description='your id, stored and filterable')
    file_id: UUID | None = Field(default=None, description='an uploaded file, for prompts that accept one')


class RunAccepted(ResponseModel):
    execution_id: str
    status: ExecutionStatus
    deployment: str
    revision: int | None


EXECUTION_DESCRIPTIONS = {
    'user_input': "the caller's text ({{input}}); empty when the run sent only variables",
    'variables': "the run's variables as sent (null: none were sent)",
    'messages': 'what was sent to the provider; left out of run answers (wait, stream) to keys without executions:read',
}
ExecutionPublic = public_model(ExecutionView, 'ExecutionPublic', descriptions=EXECUTION_DESCRIPTIONS)

AttemptPublic = public_model(
    Attempt,
    'AttemptPublic',
    descriptions={
        'number': "which of the execution's attempts this was (1 for the first call)",
        'outcome': 'succeeded | retried (it failed and another attempt followed) | failed (the last attempt failed)',
        'http_status': "the provider's HTTP status when the attempt failed with one (e.g. 429, 503)",
    },
)
ExecutionDetailPublic = public_model(
    ExecutionDetail,
    'ExecutionDetailPublic',
    descriptions=EXECUTION_DESCRIPTIONS
    | {
        'attempt_timings': (
            'each provider call, first first: when it started and ended, how long it took, how it ended; '
            'a call in flight when its worker stopped is not recorded, so there may be fewer than `attempts`'
        )
    },
    nested={'attempt_timings': list[AttemptPublic]},
)


class ExecutionsPublic(PageFields):
    items: list[ExecutionPublic]
