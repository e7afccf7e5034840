"""What a transport has sent, lost and received: for tests, benchmarks and anyone asking how the bus is doing."""

from dataclasses import dataclass


@dataclass
class Counters:
    sent_payloads: int = 0
    sent_events: int = 0
    lost_events: int = 0  # dropped before they reached the link (queue full, link down, too large)
    received_payloads: int = 0
    own_payloads: int = 0  # our own, which PostgreSQL hands back to every listener: skipped
    received_events: int = 0
    gaps: int = 0
