"""API key bodies: the key itself appears in one answer only, the one to its creation."""

from typing import Annotated, Any

from pydantic import Field, StrictInt

from api.schemas.common import RequestModel, ResponseModel, public_model
from core.api_keys import ApiKeyView
from core.permissions import SCOPES
from core.rate_limits import MAXIMUM

# strict: JSON's `true` is not a number of runs (pydantic would read it as 1)
RequestsPerMinute = Annotated[
    StrictInt | None,
    Field(ge=1, le=MAXIMUM['requestsPerMinute'], description='runs the key may start a minute (null: no limit)'),
]
ConcurrentRuns = Annotated[
    StrictInt | None,
    Field(ge=1, le=MAXIMUM['concurrentRuns'], description='runs the key may have pending or running at once (null: no limit)'),
]


class KeyCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=len(SCOPES), description=f'any of: {", ".join(SCOPES)}')
    expires_days: StrictInt | None = Field(default=None, ge=1, le=3650, description='null: never expires')
    requests_per_minute: RequestsPerMinute = None
    concurrent_runs: ConcurrentRuns = None


class KeyUpdate(RequestModel):
    """Only the limits change (null lifts one); a field left out keeps its value."""

    requests_per_minute: RequestsPerMinute = None
    concurrent_runs: ConcurrentRuns = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


ApiKeyPublic = public_model(
    ApiKeyView,
    'ApiKeyPublic',
    descriptions={'hint': "the key's visible start; the key itself is shown only when it is created"},
)


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description='the key itself: store it now, it is never shown again')


class ApiKeysPublic(ResponseModel):
    items: list[ApiKeyPublic]
