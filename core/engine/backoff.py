"""How long to wait before the next attempt: exponential backoff with full jitter, or the provider's Retry-After."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base: float = 0.5  # seconds; the first retry waits up to this long
    cap: float = 20.0  # no computed wait is longer
    retry_after_cap: float = 60.0  # a provider asking for longer gets this; the call then fails or succeeds

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.retry_after_cap)
        # full jitter (uniform over [0, ceiling]) spreads retries of many executions that failed together
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))
