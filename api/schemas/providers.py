"""Provider status and model bodies."""

from api.schemas.common import ResponseModel
from core.vocabulary import Provider


class ProviderPublic(ResponseModel):
    name: str
    available: bool
    error: str | None
    model_count: int | None
    supported_options: list[str]
    file_types: list[str]


class ProvidersPublic(ResponseModel):
    items: list[ProviderPublic]


class ModelsPublic(ResponseModel):
    provider: Provider
    models: list[str]


class HealthPublic(ResponseModel):
    status: str
    database: str
