"""Standard Webhooks signing: `whsec_` secrets and the `webhook-id`, `webhook-timestamp`, `webhook-signature` headers."""

import base64
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from secrets import token_bytes

from standardwebhooks import Webhook

SECRET_PREFIX = 'whsec_'
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def generate_secret() -> str:
    """A new endpoint secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode()


def signature_headers(*, message_id: str, body: bytes, secrets: Sequence[str], at: datetime | None = None) -> dict[str, str]:
    """The three headers that sign `body` (UTF-8 JSON); with two secrets (a rotation) both signatures go in."""
    if not secrets:
        raise ValueError('signing needs at least one secret')
    seconds = math.floor((at or datetime.now(UTC)).timestamp())
    # standardwebhooks reads the datetime as UTC and floors it: hand it exactly the seconds the header carries
    stamp = datetime.fromtimestamp(seconds, UTC)
    text = body.decode()
    signatures = [Webhook(secret).sign(message_id, stamp, text) for secret in secrets]
    return {'webhook-id': message_id, 'webhook-timestamp': str(seconds), 'webhook-signature': ' '.join(signatures)}
