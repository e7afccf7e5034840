"""/executions: the live table with filters; /executions/{id}: one execution in full, with cancel."""

from nicegui import ui

from core import executions
from core.app import Core
from core.vocabulary import ExecutionStatus, Origin
from ui.execution_detail import ExecutionDetail
from ui.executions_table import ExecutionFilters, ExecutionsTable, with_filters
from ui.frame import frame
from ui.page_guard import dashboard_page
from ui.session import SignedIn
from ui.settings.webhooks import DeliveryLog


def register(core: Core) -> None:
    @dashboard_page('/executions', core, section='Executions')
    async def executions_page(me: SignedIn, deployment: str = '', status: str = '', trace_id: str = '', origin: str = '') -> None:
        with frame('Executions', me):
            filters = with_filters(ExecutionFilters(), deployment=deployment, status=status, trace_id=trace_id, origin=origin)
            with ui.row().classes('w-full items-end gap-2'):
                statuses, origins = [status.value for status in ExecutionStatus], [origin.value for origin in Origin]
                controls = {
                    'deployment': ui.input('Deployment', value=filters.deployment or ''),
                    'status': ui.select(statuses, label='Status', value=filters.status, clearable=True).classes('w-40'),
                    'trace_id': ui.input('Trace id', value=filters.trace_id or ''),
                    'origin': ui.select(origins, label='Origin', value=filters.origin, clearable=True).classes('w-40'),
                }
            table = ExecutionsTable(me, filters=filters)
            for control in controls.values():
                control.props('dense outlined clearable debounce=300')
                control.on_value_change(
                    lambda: table.set_filters(with_filters(table.filters, **{k: c.value for k, c in controls.items()}))
                )

    @dashboard_page('/executions/{execution_id}', core, section='Executions')
    async def execution_page(me: SignedIn, execution_id: str) -> None:
        execution = await me.act(executions.get_execution, execution_id)
        with frame(f'Execution {execution.id[:8]}', me, section='Executions'):
            ExecutionDetail(me, execution)
            if me.may('webhooks:read'):
                with ui.card().classes('w-full'):
                    with ui.row().classes('items-center gap-2'):
                        ui.label('Webhook deliveries').classes('font-semibold')
                        refresh = ui.button(icon='refresh').props('flat dense').tooltip('Read the deliveries again')
                    log = DeliveryLog(me, execution_id=execution.id)
                    refresh.on_click(log.show)
                await log.show()
