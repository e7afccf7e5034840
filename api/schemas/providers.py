"""Provider status and model bodies."""

from pydantic import Field

from api.schemas.common import ResponseModel, public_model
from core.provider_status import ProviderStatus
from core.vocabulary import Provider

ProviderPublic = public_model(ProviderStatus, 'ProviderPublic', descriptions={'error': 'why it is not available'})


class ProvidersPublic(ResponseModel):
    items: list[ProviderPublic]


class ModelsPublic(ResponseModel):
    provider: Provider
    models: list[str]


class HealthPublic(ResponseModel):
    status: str = Field(description='ok | error')
    database: str = Field(description='ok | busy (another process holds a write lock) | unreachable')
