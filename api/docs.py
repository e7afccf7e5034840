"""Interactive API docs whose Swagger UI files come from this process (a pinned package), not a CDN: they work offline."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = '/docs/assets'


def install(api: FastAPI) -> None:
    """Serve Swagger UI at /docs with its script, styles and icon under /docs/assets."""
    api.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name='docs-assets')

    @api.get('/docs', include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get('root_path', '').rstrip('/')  # /api/v1 as mounted
        return get_swagger_ui_html(
            openapi_url=f'{root}{api.openapi_url}',
            title=f'{api.title} · docs',
            swagger_js_url=f'{root}{ASSETS}/swagger-ui-bundle.js',
            swagger_css_url=f'{root}{ASSETS}/swagger-ui.css',
            swagger_favicon_url=f'{root}{ASSETS}/favicon-32x32.png',
        )
