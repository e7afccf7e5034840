"""What the multi-process tests do as clients: seed a database, post runs, read event streams."""

import asyncio
import json

import httpx

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings


def seed(settings: Settings) -> dict[str, str]:
    """A deployment `bot` on the fake OpenAI, and the headers of a key that may run it and read executions."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    bot = deployments.create_deployment(core, system, name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    asyncio.run(bot)
    key = api_keys.create_api_key(core, system, name='caller', scopes=['deployments:run', 'executions:read']).token
    core.db.dispose()
    return {'X-API-Key': key}


def stream(url: str, path: str, headers: dict[str, str], **options) -> list[tuple[str, dict]]:
    """The events of a text/event-stream answer, [(event, data)], read until the server ends it."""
    with httpx.stream(options.pop('method', 'GET'), f'{url}/api/v1{path}', headers=headers, timeout=30, **options) as answer:
        assert answer.status_code == 200, answer.read()
        return parse_sse(answer.read().decode())


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split('\n\n'):
        lines = [line for line in block.splitlines() if not line.startswith(':')]
        if lines:
            fields = dict(line.split(': ', 1) for line in lines)
            events.append((fields['event'], json.loads(fields['data'])))
    return events


def text_of(events: list[tuple[str, dict]]) -> str:
    return ''.join(data['text'] for kind, data in events if kind == 'delta')
