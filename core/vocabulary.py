"""The words for statuses, attempt outcomes, origins, providers and themes, for the faces (ui/, api/) that must not import data/.

Each is defined once, as an enum beside the table it describes (data/tables.py); this module only hands them on.
"""

from data.tables import (
    FINISHED,
    SUBSCRIBABLE_EVENTS,
    UNFINISHED,
    Arm,
    AttemptOutcome,
    DeliveryStatus,
    ExecutionStatus,
    Origin,
    Provider,
    RegressionAction,
    RolloutStatus,
    Theme,
    WebhookEvent,
)

__all__ = [
    'FINISHED',
    'SUBSCRIBABLE_EVENTS',
    'UNFINISHED',
    'Arm',
    'AttemptOutcome',
    'DeliveryStatus',
    'ExecutionStatus',
    'Origin',
    'Provider',
    'RegressionAction',
    'RolloutStatus',
    'Theme',
    'WebhookEvent',
]
