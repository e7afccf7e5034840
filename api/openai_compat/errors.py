"""Errors in OpenAI's shape `{"error": {"message", "type", "param", "code"}}`, so an OpenAI SDK raises its own typed
exceptions (NotFoundError, AuthenticationError, PermissionDeniedError, RateLimitError, BadRequestError).

api/errors.py stays the one place that decides an error's status, message and headers; this only reshapes its answer.
"""

import json
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api import errors
from core.chat_completions import request_field
from core.errors import DomainError, NotFound

# OpenAI answers a request it cannot take with 400: its SDK raises BadRequestError for it (and would not for our 422)
_STATUS = {422: 400}
_TYPES = {400: 'invalid_request_error', 401: 'invalid_request_error', 403: 'permission_error', 404: 'invalid_request_error'}
_CODES = {'unauthorized': 'invalid_api_key', 'rate_limited': 'rate_limit_exceeded'}
_NATIVE: tuple[tuple[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]], ...] = (
    (DomainError, errors.domain_error),
    (RequestValidationError, errors.validation_error),
    (HTTPException, errors.http_error),
    (sa.exc.IntegrityError, errors.integrity_error),
    (sa.exc.DataError, errors.data_error),
    (sa.exc.OperationalError, errors.database_unavailable),
    (Exception, errors.unexpected_error),
)
DO_NOT_RETRY = {'x-should-retry': 'false'}  # the OpenAI SDKs retry 409 and 5xx unless told not to


def install(app: FastAPI) -> None:
    """Register the reshaping handlers on the OpenAI-compatible app."""
    for exception, native in _NATIVE:
        app.add_exception_handler(exception, _reshaped(native))


def openai_error(
    status: int, message: str, *, kind: str | None = None, param: str | None = None, code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:  # fmt: skip
    kind = kind or _TYPES.get(status, 'requests' if status == 429 else 'server_error')
    body = {'error': {'message': message, 'type': kind, 'param': param, 'code': code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _reshaped(native: Callable[[Request, Exception], Awaitable[JSONResponse]]) -> Callable:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        answer = await native(request, exc)
        error = json.loads(answer.body)['error']
        details = error.get('details') or []
        param = request_field(details[0]['field']) if details else None
        code = _CODES.get(error['code'], error['code'])
        if isinstance(exc, NotFound):  # the one thing a chat names that can be missing is its model: the deployment
            param, code = 'model', 'model_not_found'
        headers = {name: value for name, value in answer.headers.items() if name not in ('content-length', 'content-type')}
        status = _STATUS.get(answer.status_code, answer.status_code)
        reshaped = openai_error(status, error['message'], param=param, code=code, headers=headers)
        if answer.background is not None:  # a refused chat's log entry (api/errors.py), with the status the caller got
            answer.background.kwargs['status'] = status
            reshaped.background = answer.background
        return reshaped

    handler.__name__ = f'openai_{native.__name__}'
    return handler
