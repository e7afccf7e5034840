"""The one place that turns errors into the API's error shape: domain errors, validation, HTTP and the unexpected."""

import logging
import math
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from api.deps import request_token
from api.rate_limits import quota_headers
from api.schemas.common import ErrorResponse
from core import refused_runs
from core.errors import (
    Conflict,
    DatabaseBusy,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    Unauthorized,
)
from core.files import FileTooLarge, UnsupportedFileType

log = logging.getLogger(__name__)

DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Invalid, 422),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (FileTooLarge, 413),
    (UnsupportedFileType, 415),
    (ProviderUnavailable, 502),
    (DatabaseBusy, 503),
    (RateLimited, 429),
)
BUSY_RETRY_SECONDS = 1
# the run requests whose refusals are logged for the deployment's page: the native run (the path names the deployment)
# and the OpenAI-compatible chat (its body's `model` does; the route notes it as `request.state.run_target`)
RUN_PATH = '/deployments/{name}/run'
CHAT_PATH = '/chat/completions'
HTTP_CODES = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'conflict',
    413: 'too_large',
    415: 'unsupported_media_type',
    422: 'invalid',
    429: 'rate_limited',
}
_ERROR = {'model': ErrorResponse}
# documented on every route (with the ones a route adds); OpenAPI clients and the fuzzer read them
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**_ERROR, 'description': 'No API key, or an invalid, revoked or expired one'},
    403: {**_ERROR, 'description': 'The key lacks the scope this route needs'},
    413: {**_ERROR, 'description': 'Request body too large'},
    422: {**_ERROR, 'description': 'A value is invalid; `details` names each field'},
    503: {**_ERROR, 'description': '`database_busy`: another process held a write lock too long; retry after `Retry-After`'},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {**_ERROR, 'description': 'No such resource'}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {**_ERROR, 'description': 'Conflicts with the current state'}}
_SECONDS = {'schema': {'type': 'integer', 'minimum': 0}}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        **_ERROR,
        'description': '`rate_limited`: the key is over its requestsPerMinute or concurrentRuns',
        'headers': {
            'Retry-After': {**_SECONDS, 'description': 'seconds until a retry may pass'},
            'RateLimit-Limit': {**_SECONDS, 'description': "the key's requestsPerMinute (sent when it has one)"},
            'RateLimit-Remaining': {**_SECONDS, 'description': 'runs it may start now'},
            'RateLimit-Reset': {**_SECONDS, 'description': 'seconds until its whole quota is back'},
        },
    }
}


def install(api: FastAPI) -> None:
    """Register the handlers on the API app."""
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(RequestValidationError, validation_error)
    api.add_exception_handler(HTTPException, http_error)
    api.add_exception_handler(sa.exc.IntegrityError, integrity_error)
    api.add_exception_handler(sa.exc.DataError, data_error)
    api.add_exception_handler(sa.exc.OperationalError, database_unavailable)
    api.add_exception_handler(Exception, unexpected_error)


def error_response(
    status: int, code: str, message: str, details: list[dict] | None = None, headers: dict | None = None
) -> JSONResponse:
    body = {'error': {'code': code, 'message': message, 'details': details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((status for cls, status in DOMAIN_STATUS if isinstance(exc, cls)), 400)
    details = [{'field': exc.field, 'message': exc.detail}] if isinstance(exc, Invalid) else []
    headers = {'WWW-Authenticate': 'Bearer'} if status == 401 else None
    if isinstance(exc, DatabaseBusy):
        headers = {'Retry-After': str(BUSY_RETRY_SECONDS)}
    if isinstance(exc, RateLimited):
        headers = {'Retry-After': str(max(1, math.ceil(exc.retry_after))), **quota_headers(exc.quota)}
    return logged_if_run(request, error_response(status, exc.code, exc.message, details, headers), exc.message)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [_detail(error) for error in exc.errors()]
    message = '; '.join(f'{d["field"]}: {d["message"]}' for d in details[:3]) or 'the request is invalid'
    return logged_if_run(request, error_response(422, 'invalid', message, details), message, body=exc.body)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 400:  # only body parsing raises 400 here (JSON that is not UTF-8, broken multipart): a malformed body
        problem = f'malformed body: {exc.__cause__ or exc.detail}'
        response = error_response(422, 'invalid', f'body: {problem}', [{'field': 'body', 'message': problem}])
        return logged_if_run(request, response, problem)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else 'Error'
    message = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else _http_message(status, phrase)
    return error_response(status, HTTP_CODES.get(status, 'error'), message, headers=dict(exc.headers or {}) or None)


async def integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    """A race two checks could not see (e.g. the same name created twice at once) is still the client's conflict."""
    log.info('integrity error mapped to 409: %s', exc)
    return error_response(409, 'conflict', 'this conflicts with data saved at the same moment; read it again and retry')


async def data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold that no check caught (core refuses NUL text first): the client's to fix."""
    log.info('data error mapped to 422: %s', exc)
    message = 'a value in this request cannot be stored or searched for (e.g. text with a NUL character)'
    return logged_if_run(request, error_response(422, 'invalid', message, [{'field': 'body', 'message': message}]), message)


def logged_if_run(request: Request, response: JSONResponse, message: str, *, body: Any = None) -> JSONResponse:
    """A refused run request goes to its deployment's log of refused calls, after the answer (core decides what to
    keep); any other request's answer is left as it is. `body`: what a request the route never saw had parsed to."""
    deployment = run_target(request, body)
    if deployment is None:
        return response
    response.background = BackgroundTask(
        refused_runs.record_refused_run,
        request.app.state.core,
        token=request_token(request),
        deployment_ref=deployment,
        status=response.status_code,
        message=message,
    )
    return response


def run_target(request: Request, body: Any = None) -> str | None:
    """The deployment a run request names; None for any other request, and for a chat that names none."""
    path = getattr(request.scope.get('route'), 'path', None)
    if path == RUN_PATH:
        return request.path_params.get('name', '')
    if path != CHAT_PATH:
        return None
    model = getattr(request.state, 'run_target', None) or (body.get('model') if isinstance(body, dict) else None)
    return model if isinstance(model, str) and model else None


async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error('database error: %s', exc)
    return error_response(503, 'unavailable', 'the database is not reachable right now; retry shortly')


async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception('unexpected error', exc_info=exc)
    return error_response(500, 'internal', 'something went wrong on our side; it has been logged')


def _detail(error: dict) -> dict:
    loc = list(error.get('loc', ()))
    if loc and loc[0] in ('body', 'query', 'path', 'header', 'cookie'):
        source, loc = loc[0], loc[1:]
    else:
        source = 'body'
    if error.get('type') == 'json_invalid':
        return {'field': 'body', 'message': f'malformed JSON: {error.get("ctx", {}).get("error", "cannot parse")}'}
    return {'field': _field(loc) or source, 'message': error.get('msg', 'invalid')}


def _field(loc: list) -> str:
    """('options', 'topK') -> 'options.topK'; ('items', 0, 'name') -> 'items[0].name'."""
    field = ''
    for part in loc:
        field += f'[{part}]' if isinstance(part, int) else (f'.{part}' if field else str(part))
    return field


def _http_message(status: int, phrase: str) -> str:
    return {
        404: 'no such endpoint; see /api/v1/docs',
        405: 'this endpoint does not take that method',
        413: 'the request body is too large',
    }.get(status, phrase)
