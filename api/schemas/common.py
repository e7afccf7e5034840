"""Base models (camelCase on the wire) and the error shape every failure uses."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class RequestModel(BaseModel):
    """A request body: camelCase fields only, unknown fields rejected (a typo is an error, not a silent no-op)."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_alias=True, validate_by_name=False, extra='forbid')


class ResponseModel(BaseModel):
    """A response body, built from core's objects by attribute and written in camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, from_attributes=True, serialize_by_alias=True)


class ErrorDetail(ResponseModel):
    field: str = Field(description='the camelCase name of the field, dotted for nested values')
    message: str


class ErrorBody(ResponseModel):
    code: str = Field(description='not_found | invalid | conflict | unauthorized | forbidden | too_large | ...')
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(ResponseModel):
    error: ErrorBody


class PageFields(ResponseModel):
    total: int
    page: int
    page_size: int
