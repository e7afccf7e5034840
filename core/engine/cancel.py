"""Cancel an execution: a pending one never runs; a running one is stopped by the worker that holds it."""

from collections.abc import Callable

import sqlalchemy as sa

from core.app import Core
from core.engine.queue import EXECUTION
from core.errors import Conflict, NotFound
from core.events import Event
from core.permissions import Actor
from data.tables import UNFINISHED, Execution, ExecutionStatus, utcnow


def cancel_execution(
    core: Core, actor: Actor, execution_id: str, *, on_cancelled: Callable[[sa.Connection, list[str]], object] | None = None
) -> Execution:
    """Mark the execution cancelled; Conflict when it has already finished. `on_cancelled` runs in the same transaction
    (the webhook outbox queues its deliveries there, so they exist exactly when the cancel does).

    The worker running it learns at once from the status event (same process), a PostgreSQL notification (another
    process), or at worst at its next lease renewal; its own later writes are dropped: the lease token is cleared here.
    """
    actor.require('executions:write')
    statement = (
        sa.update(EXECUTION)
        .where(EXECUTION.c.id == execution_id, EXECUTION.c.status.in_(UNFINISHED))
        .values(status=ExecutionStatus.CANCELLED, completed_at=utcnow(), lease_token=None, lease_expires_at=None)
    )
    with core.session() as session:
        changed = session.execute(statement).rowcount
        if changed and on_cancelled is not None:
            on_cancelled(session.connection(), [execution_id])
        execution = session.get(Execution, execution_id)
    if execution is None:
        raise NotFound(f'no execution {execution_id!r}')
    if not changed:
        raise Conflict(f'execution {execution_id} is already {execution.status}')
    core.bus.publish(Event('status', execution_id, {'status': ExecutionStatus.CANCELLED, 'attempts': execution.attempts}))
    return execution
