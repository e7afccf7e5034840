"""Headers on every dashboard response: never inside another site's frame, no content sniffing, no referrer to others."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = (
    (b'x-frame-options', b'DENY'),
    (b'content-security-policy', b"frame-ancestors 'none'"),
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'same-origin'),
)
_NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    """ASGI middleware adding HEADERS (the API is served ahead of the dashboard's middleware and keeps its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                kept = [(name, value) for name, value in message.get('headers', []) if name.lower() not in _NAMES]
                message = {**message, 'headers': [*kept, *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
