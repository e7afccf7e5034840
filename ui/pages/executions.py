"""/executions: the live table with filters; /executions/{id}: one execution in full, with cancel."""

from fastapi import Request
from nicegui import ui

from core import executions
from core.app import Core
from core.vocabulary import ExecutionStatus, Origin
from ui import executions_export
from ui.execution_detail import ExecutionDetail
from ui.executions_table import ExecutionsTable, TableState, with_filters
from ui.frame import frame
from ui.page_guard import dashboard_page
from ui.session import SignedIn
from ui.settings.webhooks import DeliveryLog


def register(core: Core) -> None:
    executions_export.register(core)

    @dashboard_page('/executions', core, section='Executions')
    async def executions_page(me: SignedIn, request: Request) -> None:
        """Filters, order and page come from the URL (TableState) and go back into it as they change."""
        with frame('Executions', me):
            state = TableState.from_query(request.query_params)
            filters = state.filters
            with ui.row().classes('w-full items-end gap-2'):
                statuses, origins = [status.value for status in ExecutionStatus], [origin.value for origin in Origin]
                controls = {
                    'search': ui.input('Search input and result', value=filters.search or '').classes('w-64'),
                    'deployment': ui.input('Deployment', value=filters.deployment or ''),
                    'status': ui.select(statuses, label='Status', value=filters.status, clearable=True).classes('w-40'),
                    'trace_id': ui.input('Trace id', value=filters.trace_id or ''),
                    'origin': ui.select(origins, label='Origin', value=filters.origin, clearable=True).classes('w-40'),
                    'date_from': _day_input('From (UTC day)', filters.date_from),
                    'date_to': _day_input('To (UTC day, included)', filters.date_to),
                }
                export = ui.button('Download CSV', icon='download').props('outline')
            table = ExecutionsTable(me, state=state, url='/executions')
            export.on_click(lambda: ui.download.from_url(f'{executions_export.PATH}?{table.state.query()}'))
            for control in controls.values():
                control.props('dense outlined clearable debounce=300')
                control.on_value_change(
                    lambda: table.set_filters(with_filters(table.filters, **{k: c.value for k, c in controls.items()}))
                )

    @dashboard_page('/executions/{execution_id}', core, section='Executions')
    async def execution_page(me: SignedIn, execution_id: str) -> None:
        execution = await me.act(executions.get_execution_detail, execution_id)
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


def _day_input(label: str, value: str | None) -> ui.input:
    """A YYYY-MM-DD field with a calendar to pick from."""
    field = ui.input(label, value=value or '').classes('w-44').props('mask="####-##-##"')
    with field.add_slot('append'):
        icon = ui.icon('event').classes('cursor-pointer')
        with ui.menu().props('no-parent-event') as menu:
            ui.date(mask='YYYY-MM-DD').bind_value(field)
        icon.on('click', menu.open)
    return field
