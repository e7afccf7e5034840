"""Run requests the API refused: which are logged, the bound on how many are kept, and what a deployment's page shows."""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from core import api_keys
from core.app import Core
from core.deployments import find_deployment
from core.errors import DatabaseBusy
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.text import has_nul
from data.tables import Deployment, RefusedRun, utcnow

log = logging.getLogger(__name__)
REFUSED = RefusedRun.__table__
KEPT_PER_DEPLOYMENT = 1000
MAX_MESSAGE = 500
RECENT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RefusedRunView:
    created_at: datetime
    key_name: str
    status: int
    message: str


@dataclass(frozen=True)
class RefusalSummary:
    """A deployment's refused calls: how many in the last 24 hours, the commonest reason then, and the newest ones."""

    last_day: int
    commonest: str | None
    commonest_count: int
    newest: list[RefusedRunView]


def record_refused_run(core: Core, *, token: str | None, deployment_ref: str, status: int, message: str) -> bool:
    """Log a refused run request (4xx) made with one of our keys; whether it was logged.

    A request with no key, or with a token that is no key of ours, is not logged: anyone can send one, and logging it
    would let a stranger fill the log and spend a write per request. A revoked or expired key is logged by its name.
    Each deployment keeps its newest KEPT_PER_DEPLOYMENT rows; names that match no deployment share one such bucket.
    Runs after the answer: a failure is logged and swallowed, since the caller has been answered already.
    """
    if not 400 <= status < 500 or not token:
        return False
    try:
        key = api_keys.key_of(core, token)
        if key is None:
            return False
        with core.db.begin() as connection:
            deployment_id = _deployment_id(connection, deployment_ref)
            connection.execute(sa.insert(REFUSED), _row(deployment_id, deployment_ref, key, status, message))
            connection.execute(_prune(deployment_id))
    except (DatabaseBusy, sa.exc.OperationalError) as error:
        log.warning('could not log a refused run of %r: %s', deployment_ref, error)
        return False
    return True


def refusal_summary(core: Core, actor: Actor, ref: str, *, newest: int = 20) -> RefusalSummary:
    """What the deployment's callers were refused lately (deployments:read); `commonest` is a message."""
    actor.require('deployments:read')
    with core.session() as session:
        deployment = find_deployment(session, ref)
        return _summary(session, REFUSED.c.deployment_id == deployment.id, REFUSED.c.message, newest)


def unknown_names_summary(core: Core, actor: Actor, *, newest: int = 20) -> RefusalSummary:
    """Runs refused lately because the name matched no deployment (deployments:read); `commonest` is such a name."""
    actor.require('deployments:read')
    with core.session() as session:
        return _summary(session, REFUSED.c.deployment_id.is_(None), REFUSED.c.deployment_ref, newest)


def _summary(session: Session, bucket: sa.ColumnElement[bool], counted_by: sa.Column, newest: int) -> RefusalSummary:
    since = utcnow() - RECENT_WINDOW
    counted = Counter(session.execute(sa.select(counted_by).where(bucket, REFUSED.c.created_at >= since)).scalars())
    rows = session.execute(
        sa.select(REFUSED.c.created_at, REFUSED.c.key_name, REFUSED.c.status, REFUSED.c.message)
        .where(bucket)
        .order_by(REFUSED.c.id.desc())
        .limit(newest)
    ).all()
    commonest, count = counted.most_common(1)[0] if counted else (None, 0)  # at most KEPT_PER_DEPLOYMENT rows
    return RefusalSummary(sum(counted.values()), commonest, count, [RefusedRunView(*row) for row in rows])


def _deployment_id(connection: sa.Connection, ref: str) -> str | None:
    if has_nul(ref):
        return None  # no deployment has such a name, and PostgreSQL cannot even compare with it
    by = Deployment.id if looks_like_uuid(ref) else Deployment.name
    return connection.execute(sa.select(Deployment.id).where(by == ref)).scalar_one_or_none()


def _row(deployment_id: str | None, ref: str, key: tuple[str, str], status: int, message: str) -> dict:
    key_id, key_name = key
    text, ref = message.replace('\x00', ''), ref.replace('\x00', '')
    text = text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + '…'
    return {
        'deployment_id': deployment_id,
        'deployment_ref': ref[:200],
        'api_key_id': key_id,
        'key_name': key_name,
        'status': status,
        'message': text,
        'created_at': utcnow(),
    }


def _prune(deployment_id: str | None) -> sa.Delete:
    """Drop what is older than the bucket's newest KEPT_PER_DEPLOYMENT rows (ids grow with time)."""
    bucket = REFUSED.c.deployment_id == deployment_id if deployment_id else REFUSED.c.deployment_id.is_(None)
    oldest_kept = sa.select(REFUSED.c.id).where(bucket).order_by(REFUSED.c.id.desc()).offset(KEPT_PER_DEPLOYMENT - 1).limit(1)
    return sa.delete(REFUSED).where(bucket, REFUSED.c.id < oldest_kept.scalar_subquery())
