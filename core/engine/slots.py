"""One worker's slots: provider calls in flight, executions claimed ahead of a free slot, and how many to claim next.

Pure bookkeeping (no clock, database or event loop: the worker passes the time in), so its rules are tested alone.
At most `limits[provider]` calls run at once. Under load a worker also claims ahead as many executions as its slots will
free in the next `ahead_seconds` at the recent rate, so a freed slot starts the next call at once instead of after a
database round; when calls are slow, slots free rarely and nothing is claimed ahead.
"""

from collections import Counter, deque
from collections.abc import Mapping

from core.engine.queue import Claim

RATE_WINDOW_SECONDS = 1.0  # the recent rate: slots freed in this window


class Slots:
    def __init__(self, limits: Mapping[str, int], *, ahead_seconds: float) -> None:
        self.limits = dict(limits)
        self.ahead_seconds = ahead_seconds
        self.running: Counter[str] = Counter()  # provider calls in flight
        self.closed = False  # stopping: nothing more is claimed or started
        self._ahead: dict[str, deque[Claim]] = {provider: deque() for provider in self.limits}  # claimed, not started
        self._frees: dict[str, deque[float]] = {provider: deque() for provider in self.limits}  # when slots freed
        self._maybe_work: set[str] = set(self.limits)  # providers that may have pending rows

    def mark(self, provider: str | None = None) -> None:
        """`provider` (None or one we do not know: every provider) may have pending executions."""
        self._maybe_work.update([provider] if provider in self.limits else self.limits)

    def may_have_work(self, provider: str) -> bool:
        return provider in self._maybe_work

    def wanted(self, now: float) -> dict[str, int]:
        """How many to claim per provider that may have work: its free slots plus what to claim ahead.

        Those providers are marked as having none: the claim tells (a full batch marks them again), and so does new work.
        """
        if self.closed:
            return {}
        wanted = {}
        for provider, limit in self.limits.items():
            free = limit - self.running[provider] - len(self._ahead[provider]) + self._rate_ahead(provider, now)
            if provider in self._maybe_work and free > 0:
                wanted[provider] = free
                self._maybe_work.discard(provider)
        return wanted

    def claimed(self, wanted: Mapping[str, int], claims: list[Claim]) -> list[Claim]:
        """Place a round's claims; returns those to start now (each has taken a slot), the rest wait claimed ahead."""
        taken = Counter(claim.provider for claim in claims)
        self._maybe_work.update(provider for provider, limit in wanted.items() if taken[provider] == limit)
        starting = []
        for claim in claims:
            if self.closed or self.running[claim.provider] >= self.limits[claim.provider]:
                self._ahead[claim.provider].append(claim)
            else:
                self.running[claim.provider] += 1
                starting.append(claim)
        return starting

    def free(self, provider: str, now: float) -> Claim | None:
        """A call of `provider` ended at `now`; returns the execution claimed ahead that takes its slot, if any."""
        self.running[provider] -= 1
        self._frees[provider].append(now)
        if self.closed or not self._ahead[provider]:
            return None
        self.running[provider] += 1
        return self._ahead[provider].popleft()

    def drop(self, execution_id: str) -> bool:
        """Forget an execution claimed ahead (cancelled, or its lease lost); False when none waits under that id."""
        for ahead in self._ahead.values():
            for claim in ahead:
                if claim.id == execution_id:
                    ahead.remove(claim)
                    return True
        return False

    def waiting(self) -> list[Claim]:
        """The executions claimed ahead, not started yet."""
        return [claim for ahead in self._ahead.values() for claim in ahead]

    def any_waiting(self) -> bool:
        return any(self._ahead.values())

    def close(self) -> list[Claim]:
        """Claim and start nothing more; returns what waits claimed ahead, to hand back (again later: a round under way
        may still place claims here)."""
        self.closed = True
        claims = self.waiting()
        for ahead in self._ahead.values():
            ahead.clear()
        return claims

    def _rate_ahead(self, provider: str, now: float) -> int:
        """How many slots of `provider` will free within `ahead_seconds`, at the rate of the last RATE_WINDOW_SECONDS."""
        frees = self._frees[provider]
        while frees and frees[0] < now - RATE_WINDOW_SECONDS:
            frees.popleft()
        return min(self.limits[provider], int(len(frees) / RATE_WINDOW_SECONDS * self.ahead_seconds))
