"""Settings → Webhooks: endpoints (create, edit, enable/disable, rotate, delete), "Send test event", and each
endpoint's delivery log with "Resend"; the secret is shown once, when made."""

from nicegui import ui

from core.errors import DomainError, Invalid
from core.vocabulary import SUBSCRIBABLE_EVENTS
from core.webhooks import deliveries, endpoints
from core.webhooks.deliveries import DeliveryView
from core.webhooks.endpoints import EndpointView
from ui import feedback
from ui.local_time import iso, line_with_times, time_columns
from ui.session import SignedIn

DELIVERY_COLORS = {'delivered': 'positive', 'failed': 'negative', 'pending': 'warning', 'sending': 'info'}


class WebhooksPanel:
    def __init__(self, me: SignedIn) -> None:
        self.me = me
        with ui.card().classes('w-full max-w-3xl'):
            ui.label('New webhook endpoint').classes('font-semibold')
            self.form = EndpointForm()
            ui.button('Create endpoint', icon='webhook', on_click=self.create).mark('create-webhook')
        with ui.card().classes('w-full max-w-3xl') as self.created:
            ui.label('Copy this signing secret now: it is shown only once.').classes('font-semibold text-warning')
            self.secret = ui.code('', language='text').classes('w-full').mark('new-secret')
        self.created.visible = False
        ui.label(
            'Deliveries are signed (Standard Webhooks), retried until delivered, and may arrive more than once: '
            'de-duplicate by the webhook-id header.'
        ).classes('text-xs text-slate-500')
        self.list = ui.column().classes('w-full gap-1')

    async def show(self) -> None:
        try:
            found = await self.me.act(endpoints.list_endpoints)
        except DomainError as error:
            feedback.failure(error)
            return
        self.list.clear()
        with self.list:
            if not found:
                ui.label('No webhook endpoints yet. Add one to hear when executions finish.').classes('text-slate-500')
            for endpoint in found:
                self._row(endpoint)

    def _row(self, endpoint: EndpointView) -> None:
        with ui.column().classes('w-full gap-0 border-b py-1').mark(f'webhook-{endpoint.id}'):
            with ui.row().classes('w-full items-center gap-3'):
                ui.label(endpoint.url).classes('font-mono text-sm grow break-all')
                state = 'enabled' if endpoint.enabled else 'disabled'
                ui.badge(state, color='positive' if endpoint.enabled else 'grey')
                last = ('never sent',) if endpoint.last_attempt_at is None else (
                    f'last delivery {"ok" if endpoint.last_attempt_ok else "failed"}', endpoint.last_attempt_at
                )  # fmt: skip
                line_with_times(*last, classes='text-xs text-slate-500').mark(f'last-delivery-{endpoint.id}')
            scope = ', '.join(endpoint.deployments) if endpoint.deployments is not None else 'every deployment'
            ui.label(f'{", ".join(endpoint.events)} · {scope} · {endpoint.description or "no description"}').classes(
                'text-xs text-slate-500'
            )
            if endpoint.disabled_reason:
                ui.label(endpoint.disabled_reason).classes('text-xs text-negative')
            with ui.row().classes('gap-1'):
                buttons = (
                    ('Edit', self.edit),
                    ('Disable' if endpoint.enabled else 'Enable', self.toggle),
                    ('Send test event', self.send_test),
                    ('Deliveries', self.show_log),
                    ('Rotate secret', self.rotate),
                    ('Delete', self.delete),
                )
                for label, action in buttons:
                    button = ui.button(label, on_click=lambda e=endpoint, a=action: a(e)).props('flat dense')
                    button.mark(f'{label.lower().replace(" ", "-")}-{endpoint.id}')

    async def create(self) -> None:
        try:
            created = await self.me.act(endpoints.create_endpoint, **self.form.values())
        except DomainError as error:
            self.form.show_error(error)
            return
        self.secret.content = created.secret
        self.created.visible = True
        self.form.clear()
        await self.show()
        feedback.success(f'Created the endpoint for {created.endpoint.url}')

    async def edit(self, endpoint: EndpointView) -> None:
        with ui.dialog() as dialog, ui.card().classes('w-[40rem]'):
            ui.label('Edit webhook endpoint').classes('font-semibold')
            form = EndpointForm(endpoint)

            async def save() -> None:
                try:
                    await self.me.act(endpoints.update_endpoint, endpoint.id, changes=form.values())
                except DomainError as error:
                    form.show_error(error)
                    return
                dialog.submit(True)

            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
                ui.button('Save', on_click=save).mark('save-webhook')
        saved = await dialog
        dialog.delete()  # before the list is drawn again: the dialog sits in the endpoint's row
        if saved:
            await self.show()
            feedback.success('Saved the endpoint')

    async def toggle(self, endpoint: EndpointView) -> None:
        if await self._do(endpoints.update_endpoint, endpoint.id, changes={'enabled': not endpoint.enabled}):
            await self.show()
            feedback.success(f'{"Disabled" if endpoint.enabled else "Enabled"} the endpoint')

    async def send_test(self, endpoint: EndpointView) -> None:
        if await self._do(deliveries.send_test, endpoint.id):
            feedback.success('Queued a test event; see Deliveries')

    async def rotate(self, endpoint: EndpointView) -> None:
        question = 'Rotate the signing secret? For 24 hours deliveries carry signatures by both the old and the new one.'
        if not await feedback.confirm(question, action='Rotate'):
            return
        rotated = await self._do(endpoints.rotate_secret, endpoint.id)
        if rotated:
            self.secret.content = rotated.secret
            self.created.visible = True
            feedback.success('Rotated the secret; copy the new one now')

    async def delete(self, endpoint: EndpointView) -> None:
        if not await feedback.confirm(f'Delete the endpoint {endpoint.url} and its delivery log?'):
            return
        if await self._do(endpoints.delete_endpoint, endpoint.id) is not False:
            await self.show()
            feedback.success('Deleted the endpoint')

    async def show_log(self, endpoint: EndpointView) -> None:
        with ui.dialog().props('full-width') as dialog, ui.card().classes('w-full'):
            ui.label(f'Deliveries to {endpoint.url}').classes('font-semibold break-all')
            log = DeliveryLog(self.me, endpoint.id)
            ui.button('Close', on_click=dialog.close).props('flat')
        dialog.open()
        await log.show()

    async def _do(self, function, /, *args, **kwargs):
        """Call core as the person is now; False (after a toast) when it refused."""
        try:
            return await self.me.act(function, *args, **kwargs)
        except DomainError as error:
            feedback.failure(error)
            return False


class EndpointForm:
    """URL, events, deployments (names; empty: all), description, and whether it is enabled."""

    def __init__(self, endpoint: EndpointView | None = None) -> None:
        mark = 'edit-webhook' if endpoint else 'webhook'  # the edit dialog's fields, apart from the new-endpoint form's
        self.url = ui.input('URL', value=endpoint.url if endpoint else '', placeholder='https://example.com/hooks/hypersigil')
        self.url.classes('w-full').mark(f'{mark}-url')
        chosen = set(endpoint.events) if endpoint else {'execution.completed', 'execution.failed'}
        with ui.row().classes('gap-x-4 gap-y-0'):
            self.events = {event: ui.checkbox(event, value=event in chosen) for event in SUBSCRIBABLE_EVENTS}
        self.events_error = ui.label().classes('text-negative text-xs')
        names = ', '.join(endpoint.deployments) if endpoint and endpoint.deployments else ''
        self.deployments = ui.input('Deployments (comma-separated; empty: every deployment)', value=names).classes('w-full')
        self.deployments.mark(f'{mark}-deployments')
        self.description = ui.input('Description', value=endpoint.description if endpoint else '').classes('w-full')
        self.enabled = ui.switch('Enabled', value=endpoint.enabled if endpoint else True)

    def values(self) -> dict:
        self.events_error.text = ''
        names = [name.strip() for name in (self.deployments.value or '').split(',') if name.strip()]
        return {
            'url': self.url.value or '',
            'events': [event for event, box in self.events.items() if box.value],
            'deployments': names or None,
            'description': self.description.value or '',
            'enabled': bool(self.enabled.value),
        }

    def show_error(self, error: DomainError) -> None:
        if isinstance(error, Invalid) and error.field == 'events':
            self.events_error.text = error.detail
            return
        feedback.show_error({'url': self.url, 'deployments': self.deployments, 'description': self.description}, error)

    def clear(self) -> None:
        self.url.value, self.deployments.value, self.description.value = '', '', ''


class DeliveryLog:
    """An endpoint's deliveries, newest first: each attempt's time, event, number, status code, duration and answer."""

    COLUMNS = ('Time', 'Event', 'Attempt', 'Status', 'Duration', 'Response')

    def __init__(self, me: SignedIn, endpoint_id: str | None = None, *, execution_id: str | None = None) -> None:
        self.me, self.endpoint_id, self.execution_id = me, endpoint_id, execution_id
        self.column = ui.column().classes('w-full gap-2')

    async def show(self) -> None:
        try:
            if self.execution_id is not None:
                found = await self.me.act(deliveries.execution_deliveries, self.execution_id)
            else:
                found = (await self.me.act(deliveries.list_deliveries, self.endpoint_id, page_size=50)).items
        except DomainError as error:
            feedback.failure(error)
            return
        self.column.clear()
        with self.column:
            if not found:
                ui.label('No deliveries yet.').classes('text-slate-500')
            for delivery in found:
                self._delivery(delivery)

    def _delivery(self, delivery: DeliveryView) -> None:
        with ui.column().classes('w-full gap-0 border-b pb-1').mark(f'delivery-{delivery.id}'):
            with ui.row().classes('items-center gap-2'):
                ui.badge(delivery.status, color=DELIVERY_COLORS.get(delivery.status, 'grey'))
                ui.label(f'{delivery.event_type} · {delivery.message_id}').classes('font-mono text-xs')
                if delivery.next_attempt_at:
                    line_with_times('next attempt', delivery.next_attempt_at, classes='text-xs text-slate-500')
                button = ui.button('Resend', on_click=lambda d=delivery: self.resend(d)).props('flat dense')
                button.mark(f'resend-{delivery.id}')
            rows = [
                {
                    'time': iso(a.at),
                    'event': delivery.event_type,
                    'attempt': a.number,
                    'status': a.status_code if a.status_code is not None else '—',
                    'duration': f'{a.duration_ms} ms',
                    'response': a.error if a.error and not a.response_excerpt else a.response_excerpt[:200] or '—',
                }
                for a in delivery.log
            ]
            columns = [{'name': c.lower(), 'label': c, 'field': c.lower(), 'align': 'left'} for c in self.COLUMNS]
            time_columns(ui.table(columns=columns, rows=rows).props('dense flat').classes('w-full'), 'time')

    async def resend(self, delivery: DeliveryView) -> None:
        try:
            await self.me.act(deliveries.resend, delivery.endpoint_id, delivery.id)
        except DomainError as error:
            feedback.failure(error)
            return
        feedback.success('Queued it again')
        await self.show()
