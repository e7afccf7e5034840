"""API keys: `hs_` + 256 random bits, stored as an HMAC, found by a unique prefix, checked with one constant-time compare."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from core.app import Core
from core.errors import Conflict, DatabaseBusy, Invalid, NotFound, Unauthorized
from core.permissions import SCOPES, Actor
from core.rate_limits import checked_limit
from core.refs import looks_like_uuid
from core.text import reject_nul
from data.tables import ApiKey, utcnow

log = logging.getLogger(__name__)
TOKEN_PREFIX = 'hs_'
LOOKUP_CHARS = 12  # of the random part, stored in clear and unique: the row to compare against
LAST_USED_RESOLUTION = timedelta(seconds=60)  # last_used_at is written at most once a minute per key


@dataclass(frozen=True)
class ApiKeyView:
    id: str
    name: str
    hint: str  # the token's visible start, e.g. 'hs_AbC123xYz789…'
    scopes: list[str]
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    requests_per_minute: int | None  # runs it may start a minute (None: no limit)
    concurrent_runs: int | None  # runs it may have pending or running at once (None: no limit)


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKeyView
    token: str  # shown once; only its HMAC is stored


def create_api_key(
    core: Core,
    actor: Actor,
    *,
    name: str,
    scopes: list[str],
    expires_days: int | None = None,
    requests_per_minute: int | None = None,
    concurrent_runs: int | None = None,
) -> CreatedApiKey:
    """A new key; the returned token is the only time the secret exists outside the caller's hands."""
    actor.require('admin')
    name = _valid_name(name)
    scopes = _valid_scopes(scopes)
    if expires_days is not None and (type(expires_days) is not int or not 1 <= expires_days <= 3650):  # a bool is no number
        raise Invalid('expiresDays', 'must be a whole number of days from 1 to 3650')
    requests_per_minute = checked_limit('requestsPerMinute', requests_per_minute)
    concurrent_runs = checked_limit('concurrentRuns', concurrent_runs)
    now = utcnow()
    random_part = secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    token = TOKEN_PREFIX + random_part
    row = ApiKey(
        name=name,
        prefix=random_part[:LOOKUP_CHARS],
        key_hash=core.box.mac(token),
        scopes=scopes,
        created_by=actor.name,
        created_by_user_id=actor.id if actor.kind == 'user' else None,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
        requests_per_minute=requests_per_minute,
        concurrent_runs=concurrent_runs,
    )
    with core.session() as session:
        session.add(row)
    return CreatedApiKey(key=_view(row), token=token)


def update_api_key(core: Core, actor: Actor, key_id: str, *, changes: dict[str, int | None]) -> ApiKeyView:
    """Change a key's rate limits (`requests_per_minute`, `concurrent_runs`; None lifts one); its next run obeys them."""
    actor.require('admin')
    checked = {}
    for field, value in changes.items():
        if field not in _LIMIT_FIELDS:
            raise Invalid(field, 'only requestsPerMinute and concurrentRuns can change; make a new key for the rest')
        checked[field] = checked_limit(_LIMIT_FIELDS[field], value)
    with core.session() as session:
        row = _find(session, key_id)
        if row.revoked_at is not None:
            raise Conflict('this API key has been revoked; its limits no longer matter')
        for field, value in checked.items():
            setattr(row, field, value)
        session.add(row)
        return _view(row)


def list_api_keys(core: Core, actor: Actor) -> list[ApiKeyView]:
    """Every key, newest first (revoked ones too, so the list is an audit trail)."""
    actor.require('admin')
    with core.session() as session:
        rows = session.exec(select(ApiKey).order_by(ApiKey.created_at.desc())).all()
        return [_view(row) for row in rows]


def revoke_api_key(core: Core, actor: Actor, key_id: str) -> ApiKeyView:
    """Revoke at once; revoking a revoked key changes nothing."""
    actor.require('admin')
    with core.session() as session:
        row = _find(session, key_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
        return _view(row)


def revoke_keys_created_by(session: Session, user_id: str) -> int:
    """Revoke every active key the account created (when it is disabled); how many were."""
    result = session.execute(
        sa.update(ApiKey).where(ApiKey.created_by_user_id == user_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return result.rowcount


def authenticate(core: Core, token: str) -> Actor:
    """The key's actor (see verify), recording its use when due."""
    actor, use_is_stale = verify(core, token)
    if use_is_stale:
        record_use(core, actor.id)
    return actor


def verify(core: Core, token: str) -> tuple[Actor, bool]:
    """The key's actor from one indexed read and one constant-time compare, and whether its last use is worth recording.

    Unauthorized says why a token is refused.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) < len(TOKEN_PREFIX) + LOOKUP_CHARS:
        raise Unauthorized('invalid API key')
    prefix = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + LOOKUP_CHARS]
    with core.db.connect() as connection:  # a plain row, no ORM: this runs on every request
        row = connection.execute(_BY_PREFIX, {'prefix': prefix}).first()
    if row is None or not core.box.mac_matches(token, row.key_hash):
        raise Unauthorized('invalid API key')
    now = utcnow()
    # the reasons are told only to holders of the real token, so they leak nothing
    if row.revoked_at is not None:
        raise Unauthorized('this API key has been revoked')
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized('this API key has expired')
    use_is_stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION
    rate_limited = row.requests_per_minute is not None or row.concurrent_runs is not None
    return Actor.api_key(row.id, row.name, list(row.scopes), rate_limited=rate_limited), use_is_stale


def key_of(core: Core, token: str) -> tuple[str, str] | None:
    """The id and name of the key `token` is (revoked and expired keys too), or None when it is no key of ours."""
    if not token.startswith(TOKEN_PREFIX) or len(token) < len(TOKEN_PREFIX) + LOOKUP_CHARS:
        return None
    prefix = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + LOOKUP_CHARS]
    with core.db.connect() as connection:
        row = connection.execute(_BY_PREFIX, {'prefix': prefix}).first()
    if row is None or not core.box.mac_matches(token, row.key_hash):
        return None
    return row.id, row.name


def record_use(core: Core, key_id: str) -> None:
    """Set last_used_at, at most once a minute: a conditional UPDATE, so concurrent requests don't pile up writes.

    A stamp is not worth an error: when the database is busy or away, this use goes unrecorded (the log says so).
    """
    now = utcnow()
    try:
        with core.session() as session:
            session.execute(
                sa.update(ApiKey)
                .where(
                    ApiKey.id == key_id, sa.or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION)
                )
                .values(last_used_at=now)
            )
    except (DatabaseBusy, sa.exc.OperationalError) as error:
        log.warning('could not record the use of API key %s: %s', key_id, error)


_KEY = ApiKey.__table__.c
_BY_PREFIX = sa.select(
    _KEY.id, _KEY.name, _KEY.key_hash, _KEY.scopes, _KEY.expires_at, _KEY.revoked_at, _KEY.last_used_at,
    _KEY.requests_per_minute, _KEY.concurrent_runs,
).where(_KEY.prefix == sa.bindparam('prefix'))  # fmt: skip
_LIMIT_FIELDS = {'requests_per_minute': 'requestsPerMinute', 'concurrent_runs': 'concurrentRuns'}


def _find(session: Session, key_id: str) -> ApiKey:
    row = session.get(ApiKey, key_id) if looks_like_uuid(key_id) else None
    if row is None:
        raise NotFound(f'no API key with id {key_id!r}')
    return row


def _valid_name(name: str) -> str:
    name = (name or '').strip()
    if not name:
        raise Invalid('name', 'is required')
    reject_nul(name=name)
    if len(name) > 200:
        raise Invalid('name', 'must be at most 200 characters')
    return name


def _valid_scopes(scopes: list[str]) -> list[str]:
    cleaned = sorted({scope.strip() for scope in scopes or [] if scope.strip()})
    if not cleaned:
        raise Invalid('scopes', f'name at least one of: {", ".join(SCOPES)}')
    unknown = [scope for scope in cleaned if scope not in SCOPES]
    if unknown:
        raise Invalid('scopes', f'unknown scope {unknown[0]!r}; known: {", ".join(SCOPES)}')
    return cleaned


def _view(row: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=row.id,
        name=row.name,
        hint=f'{TOKEN_PREFIX}{row.prefix}…',
        scopes=list(row.scopes),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        requests_per_minute=row.requests_per_minute,
        concurrent_runs=row.concurrent_runs,
    )
