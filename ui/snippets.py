"""Copyable curl, Python (httpx) and JavaScript (fetch) calls of a deployment's run endpoint.

They are written from the template of the prompt version the deployment runs: `variables` with a placeholder for each
of its variables, `userInput` when it uses {{input}} (or has no variables: then the input is the whole message).
"""

import json

from nicegui import ui

KEY_VARIABLE = 'HYPERSIGIL_API_KEY'
WAIT_SECONDS = 30

CURL = """curl -X POST '{url}?wait={wait}' \\
  -H "Authorization: Bearer ${key}" \\
  -H 'Content-Type: application/json' \\
  -d '{body}'"""

PYTHON = """import os

import httpx

response = httpx.post(
    {url!r},
    params={{'wait': {wait}}},
    headers={{'Authorization': f'Bearer {{os.environ["{key}"]}}'}},
    json={body},
    timeout={timeout},
)
response.raise_for_status()
print(response.json()['result'])"""

JAVASCRIPT = """const response = await fetch({url_js}, {{
  method: 'POST',
  headers: {{
    Authorization: `Bearer ${{process.env.{key}}}`,
    'Content-Type': 'application/json',
  }},
  body: JSON.stringify({body}),
}});
if (!response.ok) throw new Error(await response.text());
console.log((await response.json()).result);"""


# the whole URL stays in view: long lines wrap instead of running out of the box
WRAPPED = '.snippet pre { white-space: pre-wrap; word-break: break-all; }'


def snippet_texts(base_url: str, name: str, variables: list[str]) -> dict[str, str]:
    """{'curl': ..., 'Python': ..., 'JavaScript': ...} for the deployment `name` whose template uses `variables`."""
    url = f'{base_url.rstrip("/")}/api/v1/deployments/{name}/run'
    body = run_body(variables)
    pretty = json.dumps(body, indent=2, ensure_ascii=False)
    indented = pretty.replace('\n', '\n    ')
    return {
        'curl': CURL.format(url=url, wait=WAIT_SECONDS, key=KEY_VARIABLE, body=pretty.replace("'", "'\\''")),
        'Python': PYTHON.format(url=url, wait=WAIT_SECONDS, key=KEY_VARIABLE, body=indented, timeout=WAIT_SECONDS + 30),
        'JavaScript': JAVASCRIPT.format(
            url_js=json.dumps(f'{url}?wait={WAIT_SECONDS}'), key=KEY_VARIABLE, body=pretty.replace('\n', '\n  ')
        ),
    }


def run_body(variables: list[str]) -> dict:
    """A run's body with a placeholder for each value the template needs."""
    names = [name for name in variables if name != 'input']
    body: dict = {}
    if 'input' in variables or not variables:
        body['userInput'] = 'The text the template shows as {{input}}'
    if names:
        body['variables'] = {name: f'<{name}>' for name in names}
    return body


def run_snippets(base_url: str, name: str, variables: list[str]) -> None:
    """Tabs with the three snippets; each code block has its own copy button."""
    texts = snippet_texts(base_url, name, variables)
    ui.add_css(WRAPPED)
    languages = {'curl': 'bash', 'Python': 'python', 'JavaScript': 'javascript'}
    with ui.tabs().classes('w-full') as tabs:
        tab = {label: ui.tab(label) for label in texts}
    with ui.tab_panels(tabs, value=tab['curl']).classes('w-full'):
        for label, text in texts.items():
            with ui.tab_panel(tab[label]):
                ui.code(text, language=languages[label]).classes('w-full snippet').mark(f'snippet-{label.lower()}')
    ui.label(
        f'Create an API key with the deployments:run scope under Settings and export it as {KEY_VARIABLE}. '
        'Replace each <placeholder> with your value.'
    ).classes('text-xs text-slate-500')
