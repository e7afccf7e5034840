"""Which arm serves a run: sticky by trace id, stateless, and the same on every instance."""

import hashlib
import random

from core.rollouts.vocabulary import Arm

BUCKETS = 10_000  # a trace falls in one of these; a percent covers 100 of them


def bucket(rollout_id: str, trace_id: str) -> int:
    """A trace's bucket in [0, BUCKETS): SHA-256 of (rollout id, trace id), identical across processes and machines."""
    # a new rollout reshuffles traces, so the same users are not always the first to meet a change
    digest = hashlib.sha256(f'{rollout_id}\n{trace_id}'.encode()).digest()
    return int.from_bytes(digest[:8], 'big') % BUCKETS


def choose_arm(*, rollout_id: str, trace_id: str | None, percent: int, rng: random.Random | None = None) -> Arm:
    """The candidate for traces whose bucket lies below the percent (so a trace keeps it as stages grow); else stable.

    Without a trace id (None or empty) the draw is random (`rng`, or the module's generator).
    """
    # an empty trace id names no trace either
    position = bucket(str(rollout_id), trace_id) if trace_id else (rng or random).randrange(BUCKETS)
    return Arm.CANDIDATE if position < percent * BUCKETS // 100 else Arm.STABLE
