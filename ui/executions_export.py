"""The executions page's CSV download: every execution the filters match, streamed in batches as it is read."""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from nicegui import app, run

from core import execution_listing
from core.app import Core
from core.errors import DomainError
from core.executions import ExecutionView
from core.permissions import Actor
from ui.executions_table import TableState
from ui.session import signed_in
from ui.targets import login_url

PATH = '/export/executions.csv'
HEADER = [
    'id', 'createdAt', 'status', 'deployment', 'revision', 'provider', 'model', 'origin', 'traceId',
    'inputTokens', 'outputTokens', 'durationMs', 'attempts', 'error', 'userInput', 'variables', 'result',
]  # fmt: skip
# a cell starting with one of these is a formula to a spreadsheet: an outside caller's input must stay text
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


def register(core: Core) -> None:
    @app.get(PATH, include_in_schema=False)
    async def export_executions(request: Request) -> Response:
        """The page's filters come as its URL's query parameters; the person is the session's, as they are now."""
        me = await signed_in(core, request)
        if me is None:
            return RedirectResponse(login_url(request.url.path, request.url.query), status_code=303)
        try:
            filters = filters_from_query(dict(request.query_params))
            chunks = await csv_chunks(core, me.user.actor, filters)
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=422 if error.code == 'invalid' else 403)
        name = f'executions-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv'
        headers = {'Content-Disposition': f'attachment; filename="{name}"'}
        return StreamingResponse(chunks, media_type='text/csv; charset=utf-8', headers=headers)


def filters_from_query(query: dict[str, str]) -> dict:
    """The executions page's URL parameters (TableState's spelling) as core's filters and order."""
    state = TableState.from_query(query)
    return {**state.filters.for_core(), 'order': state.order}


async def csv_chunks(core: Core, actor: Actor, filters: dict) -> AsyncIterator[str]:
    """CSV text, one chunk per batch; the first batch is read now, so a refusal (a bad filter, a role) comes before
    any byte is sent."""
    batches = execution_listing.export_batches(core, actor, **filters)
    first = await run.io_bound(next, batches, None)

    async def chunks() -> AsyncIterator[str]:
        yield csv_text([HEADER])
        batch = first
        while batch:
            yield csv_text(csv_row(execution) for execution in batch)
            batch = await run.io_bound(next, batches, None)  # each batch is its own statement, read off the loop

    return chunks()


def csv_row(execution: ExecutionView) -> list[str]:
    values = [
        execution.id, _iso(execution.created_at), execution.status, execution.deployment_name, execution.revision,
        execution.provider, execution.model, execution.origin, execution.trace_id, execution.input_tokens,
        execution.output_tokens, execution.duration_ms, execution.attempts, execution.error, execution.user_input,
        json.dumps(execution.variables, ensure_ascii=False) if execution.variables is not None else None, execution.result,
    ]  # fmt: skip
    return [_cell(value) for value in values]


def csv_text(rows: Iterator[list[str]] | list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _cell(value: object) -> str:
    text = '' if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ''
