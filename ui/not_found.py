"""Our own 404 page: inside the frame with its navigation for a signed-in person, a way to sign in for anyone else."""

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from nicegui import Client, app, ui
from nicegui.page import page
from starlette.exceptions import HTTPException

from core.app import Core
from ui.frame import frame
from ui.session import signed_in


def install(core: Core) -> None:
    """Answer an unknown dashboard address with our page (status 404) instead of NiceGUI's "HTTPException: 404"."""

    async def not_found(request: Request, exception: Exception) -> Response:
        endpoint = request.scope.get('endpoint')
        if endpoint is not None and endpoint is not app and isinstance(exception, HTTPException):
            return await http_exception_handler(request, exception)  # a route's own 404 (files, the API): JSON as before
        me = await signed_in(core, request)
        with Client(page(''), request=request) as client:
            if me is None:
                with ui.column().classes('w-full items-center p-8 gap-3'):
                    ui.label('Page not found').classes('text-2xl font-semibold')
                    ui.link('Sign in to Hypersigil', '/login')
            else:
                with frame('Page not found', me, section=''):
                    ui.label(f'There is no page at {request.url.path}.').classes('text-slate-600 break-all')
                    ui.link('Go to deployments', '/deployments')
        return client.build_response(request, 404)

    app.add_exception_handler(404, not_found)
