"""The instance secret: encrypts provider credentials at rest and keys API-key hashes."""

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from core.settings import Settings
from data.private import private_dir

KEY_FILE = 'secret.key'


def load_secret_key(settings: Settings) -> str:
    """HYPERSIGIL_SECRET_KEY if set, else a key generated once into the data dir (mode 600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        _create_once(path, secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f'{path} is empty: delete it to generate a new key (provider keys saved since must be saved again)')
    return key


def _create_once(path: Path, content: str) -> None:
    """Write `path` whole unless it exists: processes starting together all end up reading the first one's file."""
    private_dir(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.')  # mode 600
    try:
        with os.fdopen(descriptor, 'w') as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process linked its key first: that one is the key
            os.link(temporary, path)  # atomic, and never replaces: the name appears with its whole content
    finally:
        os.unlink(temporary)


class SecretBox:
    """Fernet encryption and HMAC-SHA-256, each under its own key derived from the instance secret."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b'hypersigil/encrypt')))
        self._mac_key = _derive(secret_key, b'hypersigil/mac')

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """None when the token was written under another secret key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def mac(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()

    def mac_matches(self, value: str, expected: str) -> bool:
        return hmac.compare_digest(self.mac(value), expected)


def _derive(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()
