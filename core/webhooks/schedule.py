"""When a delivery is tried again, and when an endpoint that keeps failing is switched off: pure rules, no clock."""

from datetime import datetime, timedelta

DISABLE_AFTER = timedelta(hours=24)


def retry_delay(round_attempts: int, schedule: tuple[float, ...]) -> float | None:
    """Seconds until the next attempt after attempt number `round_attempts` failed; None once the schedule is spent.

    The schedule lists the delays between attempts, so a delivery gets 1 + len(schedule) attempts in all.
    """
    if round_attempts < 1 or round_attempts > len(schedule):
        return None
    return schedule[round_attempts - 1]


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """An endpoint is disabled once every attempt for 24 h has failed."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
