"""Base models (camelCase on the wire), response models made from core's views, and the error shape."""

import dataclasses
import typing

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel


class RequestModel(BaseModel):
    """A request body: camelCase fields only, unknown fields rejected (a typo is an error, not a silent no-op)."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_alias=True, validate_by_name=False, extra='forbid')


class ResponseModel(BaseModel):
    """A response body, built from core's objects by attribute and written in camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, from_attributes=True, serialize_by_alias=True)


def public_model(
    view: type, name: str, *, descriptions: dict[str, str] | None = None, nested: dict[str, typing.Any] | None = None
) -> type[ResponseModel]:
    """The response model of a core view (a frozen dataclass): its fields and types, enums included, in camelCase.

    The view is the one definition of the shape; this only adds the wire's names and the descriptions OpenAPI shows.
    `nested` gives the public models of fields that hold views themselves (so they too are written in camelCase).
    """
    hints, descriptions = typing.get_type_hints(view) | (nested or {}), descriptions or {}
    fields = {
        field.name: (hints[field.name], Field(description=descriptions.get(field.name))) for field in dataclasses.fields(view)
    }
    return create_model(name, __base__=ResponseModel, __module__=__name__, __doc__=view.__doc__, **fields)


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
