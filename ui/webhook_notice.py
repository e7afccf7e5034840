"""The admins' notice, on every page, of webhook endpoints Hypersigil disabled after 24 h of failed deliveries."""

from nicegui import ui

from core.errors import DomainError
from core.webhooks.deliveries import auto_disabled_endpoints
from ui.session import SignedIn


def webhook_notice(me: SignedIn) -> None:
    """A banner, filled once the page is up (the read runs off the event loop); nothing for people who are not admins."""
    if not me.may('webhooks:read'):
        return
    with ui.row().classes('w-full items-center gap-2 rounded bg-red-50 p-2 text-negative') as banner:
        ui.icon('warning')
        text = ui.label().mark('webhook-notice')
        ui.link('Settings → Webhooks', '/settings?tab=webhooks')
    banner.visible = False

    async def fill() -> None:
        try:
            disabled = await me.act(auto_disabled_endpoints)
        except DomainError:
            return
        if disabled:
            urls = ', '.join(endpoint.url for endpoint in disabled)
            text.text = f'Webhook endpoints disabled after every delivery failed for 24 hours: {urls}'
            banner.visible = True

    ui.timer(0, fill, once=True)
