"""How values read on screen: times, options, prompt versions, durations."""

import json
from datetime import datetime

from core.vocabulary import Provider

OPTION_LABELS = {'temperature': 'temperature', 'topP': 'top P', 'topK': 'top K', 'maxTokens': 'max tokens'}


def when(moment: datetime | None) -> str:
    return moment.strftime('%Y-%m-%d %H:%M:%S UTC') if moment else '—'


def options_text(options: dict | None) -> str:
    if not options:
        return 'provider defaults'
    return ' · '.join(f'{OPTION_LABELS.get(key, key)} {value:g}' for key, value in options.items())


def prompt_version(name: str, version: int | None) -> str:
    return f'{name} · v{version}' if version else f'{name} · latest'


def duration(milliseconds: int | None) -> str:
    if milliseconds is None:
        return '—'
    return f'{milliseconds} ms' if milliseconds < 10_000 else f'{milliseconds / 1000:.1f} s'


def attempts(count: int) -> str:
    return '1 attempt' if count == 1 else f'{count} attempts'


def pretty_result(text: str | None) -> tuple[str, bool]:
    """The result, pretty-printed when it is JSON; and whether it was."""
    if not text:
        return '', False
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), True
    except ValueError:
        return text, False


SCOPE_LABELS = {  # what each API key scope lets a program do, in words (the id stays beside it, for API users)
    'deployments:run': 'Run deployments',
    'deployments:read': 'See deployments',
    'deployments:write': 'Create, change and delete deployments',
    'prompts:read': 'See prompts',
    'prompts:write': 'Create, change and delete prompts',
    'executions:read': 'See executions and their results',
    'executions:write': 'Cancel executions',
    'files:read': 'See and download files',
    'files:write': 'Upload and delete files',
    'admin': 'Everything, including keys and users',
}


def scope_label(scope: str) -> str:
    return SCOPE_LABELS.get(scope, scope)


PROVIDER_NAMES = {Provider.OPENAI: 'OpenAI', Provider.ANTHROPIC: 'Anthropic', Provider.OLLAMA: 'Ollama'}


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)
