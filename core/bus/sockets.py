"""Unix datagram sockets as the bus's transport between the processes of one machine (SQLite: no broker to install).

Each listening process binds one socket, `<pid>-<random>.sock`, in a private directory (mode 0700) under the data dir,
and reads it on its loop. A publisher sends each payload (64 KiB at most) to every socket there but its own, through
one non-blocking socket per listener. A socket whose process died refuses: the publisher deletes its file. A listener
that reads slowly (its loop is busy; the kernel queues only about ten datagrams) is kept a backlog in the publisher,
retried every few ms; past BACKLOG_BYTES its payloads are dropped and it sees the gap. A publisher never waits on a
listener.
"""

import asyncio
import logging
import os
import secrets
import socket
import threading
import time
from collections import deque
from contextlib import suppress
from pathlib import Path

from core.bus.transport import Deliver, OnGap, Transport

log = logging.getLogger(__name__)
PAYLOAD_LIMIT = 64 * 1024  # a datagram (the kernel takes up to about 208 KiB)
SEND_BUFFER = 1024 * 1024  # per listener: room for the ~10 datagrams the kernel queues, however large
BACKLOG_BYTES = 4 * 1024 * 1024  # per listener, in the publisher, while the listener's queue is full
SUN_PATH_MAX = 107  # bytes of a socket's path (108 with the final zero)
SUFFIX = '.sock'
WARN_SECONDS = 1.0


class SocketTransport(Transport):
    payload_limit = PAYLOAD_LIMIT

    def __init__(self, directory: Path, **options) -> None:
        super().__init__(**options)
        self.directory = Path(directory)
        self._directory_fd: int | None = None
        self._fd_lock = threading.Lock()
        self._peers: dict[str, Peer] = {}  # the sending thread's, by socket file name
        self._own: str | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def own_socket(self) -> Path | None:
        return self.directory / self._own if self._own else None

    async def listen(self, deliver: Deliver, *, on_gap: OnGap | None = None) -> None:
        await asyncio.to_thread(self._bind)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._socket.fileno(), self._read_all, deliver, on_gap)

    def _bind(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)  # mkdir's mode passes through the umask, and the directory may be older
        name = f'{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}'
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setblocking(False)
        listener.bind(self.address(name))
        self._socket, self._own = listener, name

    def _read_all(self, deliver: Deliver, on_gap: OnGap | None) -> None:
        """On the loop, when datagrams wait: read them all (what the kernel cannot queue waits in the publishers)."""
        while True:
            try:
                data = self._socket.recv(PAYLOAD_LIMIT)
            except (BlockingIOError, InterruptedError):
                return
            received = self._read(data.decode('ascii', 'replace')) if data else None
            if received is not None:
                self._hand_over(received, deliver, on_gap)

    async def _stop_listening(self) -> None:
        if self._socket is None:
            return
        self._loop.remove_reader(self._socket.fileno())
        self._socket.close()
        await asyncio.to_thread(self._unlink, self._own)
        self._socket = self._own = None

    def _send(self, payloads: list[str]) -> bool:
        names = self._listeners()
        for gone in self._peers.keys() - names:
            self._peers.pop(gone).close()
        datagrams = [payload.encode('ascii') for payload in payloads]
        held = False
        for name in names:
            peer = self._peers.get(name) or self._connect(name)
            if peer is None:
                continue
            try:
                held |= peer.send(datagrams)
            except OSError as error:  # refused: its process died after we connected
                self._forget(name, error)
        return held

    def _listeners(self) -> set[str]:
        """The socket files present now (a listener that just started is seen by the next flush)."""
        try:
            return {name for name in os.listdir(self.directory) if name.endswith(SUFFIX) and name != self._own}
        except FileNotFoundError:
            return set()  # nobody has listened yet

    def _connect(self, name: str) -> 'Peer | None':
        link = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        link.setblocking(False)
        link.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        try:
            link.connect(self.address(name))
        except OSError as error:
            link.close()
            self._forget(name, error)
            return None
        self._peers[name] = Peer(name, link)
        return self._peers[name]

    def _forget(self, name: str, error: OSError) -> None:
        peer = self._peers.pop(name, None)
        if peer is not None:
            peer.close()
        if isinstance(error, ConnectionRefusedError):
            self._unlink(name)  # nobody reads it: its process is gone
        elif not isinstance(error, FileNotFoundError):
            log.warning('bus: cannot send to listener %s (%s)', name, error)

    def _unlink(self, name: str) -> None:
        with suppress(FileNotFoundError):  # another publisher removed it first
            os.unlink(self.directory / name)

    def address(self, name: str) -> str:
        """The path to bind or connect to; through /proc when the directory's path is too long for a socket (Linux)."""
        path = str(self.directory / name)
        if len(os.fsencode(path)) <= SUN_PATH_MAX:
            return path
        with self._fd_lock:
            if self._directory_fd is None:
                self._directory_fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        return f'/proc/self/fd/{self._directory_fd}/{name}'

    def _release(self) -> None:
        for peer in self._peers.values():
            peer.close()
        self._peers.clear()
        if self._directory_fd is not None:
            os.close(self._directory_fd)
            self._directory_fd = None


class Peer:
    """One listener, as its publisher sees it: a connected socket and what waits for room in its queue."""

    def __init__(self, name: str, link: socket.socket) -> None:
        self.name = name
        self.link = link
        self.backlog: deque[bytes] = deque()
        self.backlog_bytes = 0
        self.dropped = 0
        self.warned = float('-inf')

    def send(self, datagrams: list[bytes]) -> bool:
        """Send in order what waits and then these; True when some still wait (the listener's queue is full)."""
        for datagram in datagrams:
            if self.backlog_bytes + len(datagram) > BACKLOG_BYTES:
                self.dropped += 1  # it will see the gap in the sequence numbers
                continue
            self.backlog.append(datagram)
            self.backlog_bytes += len(datagram)
        self._warn_if_dropping()
        while self.backlog:
            try:
                self.link.send(self.backlog[0])
            except BlockingIOError:
                return True
            self.backlog_bytes -= len(self.backlog.popleft())
        return False

    def _warn_if_dropping(self) -> None:
        if self.dropped and time.monotonic() - self.warned >= WARN_SECONDS:
            log.warning('bus: listener %s is not reading; %d payloads to it dropped', self.name, self.dropped)
            self.dropped, self.warned = 0, time.monotonic()

    def close(self) -> None:
        self.link.close()
