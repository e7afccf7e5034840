"""The threading rule, checked in every test: no database statement, password hash or JSON-schema validation runs on
an event loop on behalf of the dashboard (ui/) or the API (api/).

Each of those calls (a SQLAlchemy hook on every engine; argon2's and jsonschema's entry points, observed, not changed)
asks: is this thread running an event loop, and does the call stack pass through a module under ui/ or api/? If so,
the call is recorded with the face's frame, and the test that caused it fails at teardown. Test code that seeds data
on the loop, main.py's start-up and core's own engine are not faces, so they pass.
"""

import asyncio
import functools
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import argon2
import jsonschema
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
FACES = tuple(f'{ROOT / face}/' for face in ('ui', 'api'))


@dataclass(frozen=True)
class Blocking:
    what: str  # 'database', 'password hash', 'JSON-schema validation'
    face: str  # 'ui/try_it.py:76 in run'
    detail: str

    def __str__(self) -> str:
        return f'{self.what} on the event loop from {self.face}: {self.detail}'


class LoopGuard:
    """Records blocking calls made on an event loop by ui/ or api/ code."""

    def __init__(self) -> None:
        self.found: list[Blocking] = []
        self._lock = threading.Lock()

    def check(self, what: str, detail: str) -> None:
        if not _on_event_loop():
            return
        face = _face_frame(sys._getframe(1))
        if face is None:
            return
        path = Path(face.f_code.co_filename).relative_to(ROOT).as_posix()
        blocking = Blocking(what, f'{path}:{face.f_lineno} in {face.f_code.co_name}', detail[:200])
        with self._lock:
            self.found.append(blocking)

    def take(self) -> list[Blocking]:
        with self._lock:
            found, self.found = self.found, []
        return found

    def install(self) -> None:
        """Watch every engine's statements, argon2's hashing and jsonschema's validation, for the whole session."""
        sa.event.listen(sa.engine.Engine, 'before_cursor_execute', self._on_statement)
        _observe(argon2.PasswordHasher, ('hash', 'verify'), lambda: self.check('password hash', 'argon2'))
        validators = {cls for cls in vars(jsonschema).values() if isinstance(cls, type) and hasattr(cls, 'iter_errors')}
        for validator in validators:
            _observe(validator, ('iter_errors', 'check_schema'), lambda: self.check('JSON-schema validation', 'jsonschema'))

    def _on_statement(self, _connection, _cursor, statement: str, *_args) -> None:
        self.check('database statement', ' '.join(statement.split()))


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _face_frame(frame):
    """The innermost frame of a module under ui/ or api/, if the stack passes through one."""
    while frame is not None:
        if frame.f_code.co_filename.startswith(FACES):
            return frame
        frame = frame.f_back
    return None


def _observe(cls: type, names: tuple[str, ...], check) -> None:
    """Call `check` before each call of the named methods; they behave exactly as before."""
    for name in names:
        original = cls.__dict__.get(name)
        if original is None or getattr(original, '__loop_guard__', False):
            continue
        function = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original

        @functools.wraps(function)
        def observed(*args, __function=function, **kwargs):
            check()
            return __function(*args, **kwargs)

        observed.__loop_guard__ = True
        wrapped = type(original)(observed) if isinstance(original, (classmethod, staticmethod)) else observed
        setattr(cls, name, wrapped)
