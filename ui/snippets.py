"""Copyable curl and Python calls of a deployment's run endpoint."""

from nicegui import ui

CURL = """curl -X POST '{base}/api/v1/deployments/{name}/run?wait=30' \\
  -H "Authorization: Bearer $HYPERSIGIL_API_KEY" \\
  -H 'Content-Type: application/json' \\
  -d '{{"userInput": "Hello"}}'"""

PYTHON = """import os

import httpx

response = httpx.post(
    '{base}/api/v1/deployments/{name}/run',
    params={{'wait': 30}},
    headers={{'Authorization': f'Bearer {{os.environ["HYPERSIGIL_API_KEY"]}}'}},
    json={{'userInput': 'Hello'}},
    timeout=60,
)
print(response.json())"""


# the whole URL stays in view: long lines wrap instead of running out of the box
WRAPPED = '.snippet pre { white-space: pre-wrap; word-break: break-all; }'


def run_snippets(base_url: str, name: str) -> None:
    """Tabs with both snippets; each code block has its own copy button."""
    base = base_url.rstrip('/')
    ui.add_css(WRAPPED)
    with ui.tabs().classes('w-full') as tabs:
        curl_tab = ui.tab('curl')
        python_tab = ui.tab('Python')
    with ui.tab_panels(tabs, value=curl_tab).classes('w-full'):
        with ui.tab_panel(curl_tab):
            ui.code(CURL.format(base=base, name=name), language='bash').classes('w-full snippet')
        with ui.tab_panel(python_tab):
            ui.code(PYTHON.format(base=base, name=name), language='python').classes('w-full snippet')
    ui.label('Create an API key with the deployments:run scope under Settings and export it as HYPERSIGIL_API_KEY.').classes(
        'text-xs text-slate-500'
    )
