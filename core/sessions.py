"""Dashboard sessions: the browser's cookie holds a random token, the database only its HMAC.

Signing in hands out a one-time ticket (valid for a minute) that the browser exchanges for a new session token,
so every sign-in starts a session id nobody could have planted. Every action re-reads the session with its account
(one indexed read), so a sign-out, a disabled account or a role change applies to every open tab at once.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa

from core import users
from core.app import Core
from core.errors import Unauthorized
from core.users import UserView
from data.tables import User, UserSession, utcnow

SESSION_LIFETIME = timedelta(days=14)
TICKET_LIFETIME = timedelta(seconds=60)
_SESSION = UserSession.__table__.c
_USER = User.__table__.c
_SIGNED_IN = (
    sa.select(_USER.id, _USER.email, _USER.role, _USER.disabled, _USER.created_at, _USER.last_login_at, _USER.theme)
    .select_from(UserSession.__table__.join(User.__table__, _SESSION.user_id == _USER.id))
    .where(_SESSION.token_hash == sa.bindparam('token_hash'), _SESSION.expires_at > sa.bindparam('now'))
)


class SessionEnded(Unauthorized):
    """The session is over: signed out (here or in another tab), expired, or its account disabled."""

    def __init__(self) -> None:
        super().__init__('your session has ended: you signed out, it expired, or your account was disabled')


def sign_in(core: Core, *, email: str, password: str, address: str, known_browser: str | None = None) -> str:
    """Check the credentials (throttled, see users.authenticate); the one-time ticket the browser exchanges."""
    user = users.authenticate(core, email=email, password=password, address=address, known_browser=known_browser)
    return issue_ticket(core, user.id)


def issue_ticket(core: Core, user_id: str) -> str:
    """A ticket that start_session exchanges, once and within a minute, for a session of this account."""
    ticket = secrets.token_urlsafe(32)
    with core.session() as session:
        session.add(UserSession(user_id=user_id, ticket_hash=core.box.mac(ticket), expires_at=utcnow() + TICKET_LIFETIME))
    return ticket


def start_session(core: Core, ticket: str, *, replacing: str | None = None) -> tuple[str, UserView]:
    """Exchange a ticket for a new session token; the session the browser had before (`replacing`) ends."""
    token, now = secrets.token_urlsafe(32), utcnow()
    with core.session() as session:
        user_id = session.execute(
            sa.update(UserSession)
            .where(_SESSION.ticket_hash == core.box.mac(ticket or ''), _SESSION.token_hash.is_(None), _SESSION.expires_at > now)
            .values(token_hash=core.box.mac(token), ticket_hash=None, expires_at=now + SESSION_LIFETIME)
            .returning(_SESSION.user_id)
        ).scalar_one_or_none()
        if user_id is None:
            raise Unauthorized('this sign-in link has expired or was used already: sign in again')
        if replacing:
            session.execute(sa.delete(UserSession).where(_SESSION.token_hash == core.box.mac(replacing)))
        session.execute(sa.delete(UserSession).where(_SESSION.expires_at <= now))
    return token, resolve(core, token)


def resolve(core: Core, token: str | None) -> UserView:
    """The account behind a session token, as it is now; SessionEnded when there is none."""
    if not token:
        raise SessionEnded()
    with core.db.connect() as connection:  # a plain row, no ORM: this runs on every action
        row = connection.execute(_SIGNED_IN, {'token_hash': core.box.mac(token), 'now': utcnow()}).first()
    if row is None or row.disabled:
        raise SessionEnded()
    return UserView(row.id, row.email, row.role, row.disabled, row.created_at, row.last_login_at, row.theme)


def end_session(core: Core, token: str | None) -> None:
    """Sign out: the token opens nothing anymore, in any tab."""
    if token:
        with core.session() as session:
            session.execute(sa.delete(UserSession).where(_SESSION.token_hash == core.box.mac(token)))
