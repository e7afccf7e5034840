"""A fake LLM server on 127.0.0.1 speaking OpenAI's, Anthropic's and Ollama's wire protocols on one port.

OpenAI and Anthropic share `GET /v1/models`; the `anthropic-version` header (always sent by Anthropic's SDK) tells them apart.
Run alone for benchmarks: `python -m tests.fakes.llm_server --port 8765 --latency 0.1`.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import socket
import threading

import uvicorn

from tests.fakes import anthropic_wire, ollama_wire, openai_wire
from tests.fakes.script import FakeScript, RecordedRequest, Step
from tests.fakes.wire import Rejection

FAKE_KEYS = {'openai': 'sk-fake-openai-key-0001', 'anthropic': 'sk-ant-fake-key-0002'}
_WIRES = {'openai': openai_wire, 'anthropic': anthropic_wire, 'ollama': ollama_wire}
_CHAT_PATHS = {'/v1/chat/completions': 'openai', '/v1/messages': 'anthropic', '/api/chat': 'ollama'}
_MODEL_PATHS = {'/api/tags': 'ollama'}


class ScriptedDrop(ConnectionAbortedError):
    """Raised inside the app to make uvicorn cut a streamed response short."""


def _not_a_scripted_drop(record: logging.LogRecord) -> bool:
    """Keep uvicorn from logging the scripted drop as an application error."""
    return not (record.exc_info and isinstance(record.exc_info[1], ScriptedDrop))


logging.getLogger('uvicorn.error').addFilter(_not_a_scripted_drop)


class FakeLLMApp:
    """The ASGI app: route, record, follow the script, answer in the provider's shape."""

    def __init__(self, script: FakeScript) -> None:
        self.script = script

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope['type'] != 'http':
            return
        headers = {k.decode('latin-1').lower(): v.decode('latin-1') for k, v in scope['headers']}
        path, method = scope['path'], scope['method']
        raw = await _read_body(receive)
        if path == '/v1/models' and method == 'GET':
            provider = 'anthropic' if 'anthropic-version' in headers else 'openai'
        else:
            provider = _CHAT_PATHS.get(path) if method == 'POST' else _MODEL_PATHS.get(path) if method == 'GET' else None
        if provider is None:
            await _other(path, send)
            return
        body = _parse_json(raw)
        record = RecordedRequest(provider, method, path, headers, body)
        self.script.record(record)
        wire = _WIRES[provider]
        try:
            _check_auth(provider, headers)
            if method == 'GET':
                await self._models(wire, record, send)
            else:
                await self._chat(wire, record, receive, send)
        except Rejection as rejection:
            record.outcome = f'rejected {rejection.status}'
            await _json(send, rejection.status, wire.error_body(rejection.status, rejection.message, rejection.kind))

    async def _models(self, wire, record: RecordedRequest, send) -> None:
        if await self._play(wire, record, self.script.next_step(wire.provider, 'models'), None, send):
            return
        record.outcome = 'models'
        await _json(send, 200, wire.models_body(self.script.models.get(wire.provider, [])))

    async def _chat(self, wire, record: RecordedRequest, receive, send) -> None:
        if not isinstance(record.body, dict):
            raise Rejection(400, 'the request body is not a JSON object')
        try:
            call = wire.chat_call(record.headers, record.body)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise Rejection(400, f'malformed request: {error}') from None
        if call.model not in self.script.models.get(wire.provider, []):
            raise wire.unknown_model(call.model)
        per_model = self.script.model_step(call.model)
        if per_model is not None and per_model.status is not None:
            await self._play(wire, record, per_model, receive, send)
            return
        if per_model is not None:  # a slow model: it answers, later
            await asyncio.sleep(per_model.hang)
        step = self.script.next_step(wire.provider, 'chat')
        if step is not None and not (step.drop or step.midstream) and await self._play(wire, record, step, receive, send):
            return
        if self.script.latency:
            await asyncio.sleep(self.script.latency)
        reply = self.script.make_reply(wire.provider, call.prompt_text, call.response_schema)
        record.outcome, record.reply = 'reply', reply.text
        record.input_tokens, record.output_tokens = reply.input_tokens, reply.output_tokens
        if not call.stream:
            await _json(send, 200, wire.reply_body(call, reply))
            return
        await send(
            {'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', wire.stream_content_type.encode())]}
        )
        events = wire.stream(call, reply)
        if step is not None and step.drop:
            record.outcome = 'dropped'
            await send({'type': 'http.response.body', 'body': b''.join(events[:2]), 'more_body': True})
            raise ScriptedDrop('the fake LLM drops this connection mid-stream, as scripted')
        if step is not None and step.midstream:
            record.outcome = f'error {step.status} mid-stream'
            error = wire.stream_error(step.status, _message(step))
            await send({'type': 'http.response.body', 'body': b''.join(events[:2]) + error})
            return
        if not self.script.chunk_delay:
            await send({'type': 'http.response.body', 'body': b''.join(events)})
            return
        for event in events:
            await send({'type': 'http.response.body', 'body': event, 'more_body': True})
            await asyncio.sleep(self.script.chunk_delay)
        await send({'type': 'http.response.body', 'body': b''})

    async def _play(self, wire, record: RecordedRequest, step: Step | None, receive, send) -> bool:
        """Play a scripted error or hang; True when that answered the call (or the client went away)."""
        if step is None:
            return False
        if step.hang is not None:
            record.outcome = 'hang'
            return await _hang(self.script, step.hang, receive)  # False when released: answer normally
        record.outcome = f'error {step.status}'
        headers = [(b'retry-after', _seconds(step.retry_after).encode())] if step.retry_after is not None else []
        await _json(send, step.status, wire.error_body(step.status, _message(step)), headers)
        return True


_DEFAULT_MESSAGES = {
    429: 'Rate limit reached, please retry later.',
    500: 'The server had an error while processing your request.',
    503: 'The service is temporarily unavailable.',
    529: 'Overloaded.',
}


def _message(step: Step) -> str:
    return step.message or _DEFAULT_MESSAGES.get(step.status, f'fake error {step.status}')


async def _hang(script: FakeScript, seconds: float, receive) -> bool:
    """Wait until released or past `seconds`; True if the client disconnected meanwhile."""
    disconnect = asyncio.ensure_future(receive()) if receive else None
    waiting = asyncio.ensure_future(script.wait_hang(seconds))
    pending = {t for t in (disconnect, waiting) if t}
    done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    for task in pending - done:
        task.cancel()
    return disconnect in done if disconnect else False


def _check_auth(provider: str, headers: dict[str, str]) -> None:
    if provider != 'ollama' and not (
        headers.get('authorization', '').removeprefix('Bearer ').strip() or headers.get('x-api-key')
    ):
        raise Rejection(401, 'No API key provided.', 'authentication_error' if provider == 'anthropic' else 'invalid_api_key')


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _parse_json(raw: bytes) -> dict | None:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get('body', b''))
        if not message.get('more_body'):
            return b''.join(chunks)


async def _json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    start_headers = [(b'content-type', b'application/json'), *headers]
    await send({'type': 'http.response.start', 'status': status, 'headers': start_headers})
    await send({'type': 'http.response.body', 'body': payload})


async def _other(path: str, send) -> None:
    if path == '/':
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'Ollama is running'})
    elif path == '/api/version':
        await _json(send, 200, {'version': '0.6.3'})
    else:
        await _json(send, 404, {'error': f'not found: {path}'})


class FakeLLMServer:
    """The fake in a background thread with its own event loop; `env` points the providers' SDKs at it."""

    def __init__(self, *, host: str = '127.0.0.1', port: int = 0, latency: float = 0.0, record: bool = True) -> None:
        self.script = FakeScript(latency=latency, record=record)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(4096)  # connections made before the server loop runs wait in the backlog
        self.host, self.port = self._socket.getsockname()[:2]
        self.url = f'http://{self.host}:{self.port}'
        self._server = uvicorn.Server(_config(FakeLLMApp(self.script)))
        self._thread: threading.Thread | None = None

    @property
    def env(self) -> dict[str, str]:
        return {
            'OPENAI_API_KEY': FAKE_KEYS['openai'],
            'OPENAI_BASE_URL': f'{self.url}/v1',
            'ANTHROPIC_API_KEY': FAKE_KEYS['anthropic'],
            'ANTHROPIC_BASE_URL': self.url,
            'OLLAMA_HOST': self.url,
        }

    def start(self) -> 'FakeLLMServer':
        self._thread = threading.Thread(target=_run, args=(self._server, self._socket), name='fake-llm', daemon=True)
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        raise RuntimeError('the fake LLM server did not start')

    def stop(self) -> None:
        self.script.release()
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=5)
        self._socket.close()


def _config(app: FakeLLMApp, log_level: str | None = None) -> uvicorn.Config:
    # no log_config: inside pytest the fake must not reconfigure the process's logging
    return uvicorn.Config(
        app,
        lifespan='off',
        access_log=False,
        log_config=None,
        log_level=log_level,
        http='httptools',
        loop='none',
        backlog=4096,
        timeout_keep_alive=60,
        timeout_graceful_shutdown=1,
    )


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(server.serve(sockets=[sock]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description='Fake OpenAI / Anthropic / Ollama server for tests and benchmarks.')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port (printed at start)')
    parser.add_argument('--latency', type=float, default=0.0, help='seconds added to every chat call')
    parser.add_argument('--chunk-delay', type=float, default=0.0, help='seconds between streamed chunks')
    parser.add_argument('--record', action='store_true', help='keep every request in memory (off: benchmarks run for long)')
    args = parser.parse_args(argv)
    server = FakeLLMServer(host=args.host, port=args.port, latency=args.latency, record=args.record)
    server.script.chunk_delay = args.chunk_delay
    print(f'fake LLM listening on {server.url}', flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        _run(server._server, server._socket)


if __name__ == '__main__':
    main()
