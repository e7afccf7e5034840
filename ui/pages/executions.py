"""/executions: the live table with filters; /executions/{id}: one execution in full, with cancel."""

from fastapi.responses import RedirectResponse
from nicegui import ui

from core import executions
from core.app import Core
from core.errors import DomainError
from core.vocabulary import ExecutionStatus, Origin
from ui import feedback, session
from ui.execution_detail import ExecutionDetail
from ui.executions_table import ExecutionFilters, ExecutionsTable, with_filters
from ui.frame import frame


def register(core: Core) -> None:
    @ui.page('/executions')
    def executions_page(deployment: str = '', status: str = '', trace_id: str = '', origin: str = '') -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login('/executions')
        with frame('Executions', user):
            filters = with_filters(ExecutionFilters(), deployment=deployment, status=status, trace_id=trace_id, origin=origin)
            with ui.row().classes('w-full items-end gap-2'):
                statuses, origins = [status.value for status in ExecutionStatus], [origin.value for origin in Origin]
                controls = {
                    'deployment': ui.input('Deployment', value=filters.deployment or ''),
                    'status': ui.select(statuses, label='Status', value=filters.status, clearable=True).classes('w-40'),
                    'trace_id': ui.input('Trace id', value=filters.trace_id or ''),
                    'origin': ui.select(origins, label='Origin', value=filters.origin, clearable=True).classes('w-40'),
                }
            table = ExecutionsTable(core, user.actor, filters=filters)
            for control in controls.values():
                control.props('dense outlined clearable debounce=300')
                control.on_value_change(
                    lambda: table.set_filters(with_filters(table.filters, **{k: c.value for k, c in controls.items()}))
                )
        return None

    @ui.page('/executions/{execution_id}')
    def execution_page(execution_id: str) -> RedirectResponse | None:
        user = session.signed_in_user(core)
        if user is None:
            return session.to_login(f'/executions/{execution_id}')
        try:
            execution = executions.get_execution(core, user.actor, execution_id)
        except DomainError as error:
            with frame('Execution', user, section='Executions'):
                ui.label(feedback.message_of(error)).classes('text-negative')
                ui.link('Back to executions', '/executions')
            return None
        with frame(f'Execution {execution.id[:8]}', user, section='Executions'):
            ExecutionDetail(core, user.actor, execution)
        return None
