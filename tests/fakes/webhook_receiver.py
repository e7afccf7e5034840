"""A webhook receiver for tests: a real HTTP server on 127.0.0.1, in its own thread, that records and answers as scripted."""

import asyncio
import datetime
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request."""

    status: int = 200
    body: bytes = b'ok'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    hang: bool = False  # never answer (until the receiver stops)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() when it arrived


class WebhookReceiver:
    """Answers each request with the next scripted Answer, then with `default`; `requests` holds what arrived."""

    def __init__(self, *, tls_dir: Path | None = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self.server_names: list[str | None] = []  # TLS server names (SNI) the clients asked for
        self.connections = 0  # connections accepted, whether or not a request followed
        self.default = Answer()
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(('127.0.0.1', 0), _handler_for(self))
        if tls_dir is not None:
            self._server.socket = self._tls_context(tls_dir).wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f'{"https" if tls_dir else "http"}://127.0.0.1:{self.port}/'
        # a short poll keeps stop() quick: shutdown() waits for the serving loop's next look
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=f'webhook-receiver-{self.port}', daemon=True
        )

    def start(self) -> 'WebhookReceiver':
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- scripting --
    def script(self, *answers: Answer | int) -> None:
        """Answer the next requests so (an int is a status), then fall back to `default`."""
        with self._lock:
            self._script.extend(Answer(status=a) if isinstance(a, int) else a for a in answers)

    def redirect_to(self, url: str, status: int = 302) -> None:
        self.default = Answer(status=status, body=b'', headers={'Location': url})

    def hang(self) -> None:
        self.default = Answer(hang=True)

    def answer_slowly(self, seconds: float) -> None:
        self.default = Answer(delay=seconds)

    # -- reading --
    async def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Wait until `count` requests arrived (without blocking the event loop)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f'{len(self.requests)} of {count} requests arrived within {timeout} s')
            await asyncio.sleep(0.01)
        return list(self.requests)

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _next_answer(self, request: ReceivedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else self.default

    def _tls_context(self, tls_dir: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*_self_signed_certificate(tls_dir))
        context.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
        return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 drops connections when a benchmark sends hundreds at once


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        disable_nagle_algorithm = True  # headers and body go out in two writes: without this a kept-alive client waits 40 ms

        def setup(self) -> None:
            receiver._count_connection()
            super().setup()

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = receiver._next_answer(ReceivedRequest(self.command, self.path, headers, body, time.monotonic()))
            if answer.hang:
                receiver._stopping.wait()
                self.close_connection = True
                return
            if answer.delay:
                time.sleep(answer.delay)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header('Content-Length', str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the tests read `requests`

    return Handler


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate no client trusts, for testing that TLS still checks what it should."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'webhook-receiver.test')])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / 'receiver.crt', directory / 'receiver.key'
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def new_webhook_receiver(tmp_path: Path) -> Iterator[Callable[..., WebhookReceiver]]:
    """Start receivers on demand (new_webhook_receiver(tls=True) serves https with an untrusted certificate)."""
    receivers: list[WebhookReceiver] = []

    def start(*, tls: bool = False) -> WebhookReceiver:
        receiver = WebhookReceiver(tls_dir=tmp_path if tls else None).start()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.stop()


@pytest.fixture
def webhook_receiver(new_webhook_receiver: Callable[..., WebhookReceiver]) -> WebhookReceiver:
    """One plain-HTTP receiver on 127.0.0.1, stopped after the test."""
    return new_webhook_receiver()
