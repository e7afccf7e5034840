"""Dashboard accounts: argon2-hashed passwords, throttled sign-in, roles, the first admin, and the Actor a session acts as."""

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from core import api_keys, sign_in_throttle
from core.app import Core
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from core.permissions import ROLES, Actor
from core.text import has_nul, reject_nul
from data.tables import SetupToken, Theme, User, UserSession, utcnow

MIN_PASSWORD_LENGTH = 8
# OWASP's recommended argon2id settings (19 MiB, 2 passes, 1 lane): ~70 ms a check on a 2-core machine,
# where the library default (64 MiB, 4 lanes) takes ~320 ms and ties up both cores
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verified against when the email is unknown, so a wrong email costs as long as a wrong password
_DUMMY_HASH = _hasher.hash('not a real password')


@dataclass(frozen=True)
class UserView:
    id: str
    email: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    theme: str | None = None  # a Theme; None follows the system setting

    @property
    def actor(self) -> Actor:
        return Actor.user(self.id, self.email, self.role)


@dataclass(frozen=True)
class AccessChange:
    """What set_disabled did: the account as it is now, and how many of its API keys were revoked with it."""

    user: UserView
    revoked_keys: int


def needs_first_admin(core: Core) -> bool:
    """True until the first account exists: the dashboard then asks for the setup link printed at start."""
    with core.session() as session:
        return _count(session) == 0


def issue_setup_token(core: Core) -> str | None:
    """While no account exists, a new token for the one-time setup link (only its HMAC is stored); else None."""
    token = secrets.token_urlsafe(32)
    with core.session() as session:
        if _count(session) > 0:
            return None
        session.add(SetupToken(token_hash=core.box.mac(token)))
    return token


def setup_token_valid(core: Core, token: str) -> bool:
    if not token:
        return False
    with core.session() as session:
        return session.get(SetupToken, core.box.mac(token)) is not None and _count(session) == 0


def create_first_admin(core: Core, *, token: str, email: str, password: str) -> UserView:
    """The first-run account, for the holder of a setup link; refused once any account exists.

    Several instances may each have printed a link: the transaction that deletes every setup token and finds its own
    among them is the one that creates the admin (the database decides, whichever process asks).
    """
    email = _check(email=email, password=password, role='admin')
    password_hash = _hasher.hash(password)
    with core.session() as session:
        consumed = session.execute(sa.delete(SetupToken).returning(SetupToken.token_hash)).scalars().all()
        if not token or core.box.mac(token) not in consumed:  # raising rolls the deletion back
            raise Forbidden('this setup link is not valid (anymore): use the one printed in the server console at start')
        if _count(session) > 0:
            raise Conflict('an admin account already exists: sign in instead')
        return _insert(session, email=email, password_hash=password_hash, role='admin')


def create_user(core: Core, actor: Actor, *, email: str, password: str, role: str) -> UserView:
    actor.require('admin')
    email = _check(email=email, password=password, role=role)
    password_hash = _hasher.hash(password)
    with core.session() as session:
        if session.exec(select(User).where(User.email == email)).first():
            raise Invalid('email', f'{email} already has an account')
        return _insert(session, email=email, password_hash=password_hash, role=role)


def authenticate(core: Core, *, email: str, password: str, address: str, known_browser: str | None = None) -> UserView:
    """The account these credentials open, or Unauthorized (the same message for a wrong email or password).

    Throttled per account and per client `address` (core.sign_in_throttle); `known_browser` is the token a browser
    got at an earlier sign-in (known_browser_token), which spares it the account's count.
    """
    email = email.strip().lower()
    if has_nul(email):  # no account holds one (core.text), and PostgreSQL would refuse to compare it
        raise Unauthorized('wrong email or password')
    with core.session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        known = bool(user and known_browser and secrets.compare_digest(known_browser, known_browser_token(core, user.id)))
        sign_in_throttle.check(session, email=email, address=address, known_browser=known)
    valid = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid:
        sign_in_throttle.record_failure(core, email=email, address=address)
        raise Unauthorized('wrong email or password')
    if user.disabled:
        raise Unauthorized('this account is disabled')
    with core.session() as session:
        user = session.get(User, user.id)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utcnow()
        session.add(user)
        sign_in_throttle.record_success(session, email=email)
        session.flush()
        return _view(user)


def known_browser_token(core: Core, user_id: str) -> str:
    """What a browser that signed in to this account keeps (in a cookie) to be spared the account's throttling."""
    return core.box.mac(f'known-browser:{user_id}')


def list_users(core: Core, actor: Actor) -> list[UserView]:
    actor.require('admin')
    with core.session() as session:
        return [_view(user) for user in session.exec(select(User).order_by(User.email))]


def set_role(core: Core, actor: Actor, user_id: str, *, role: str) -> UserView:
    actor.require('admin')
    if role not in ROLES:
        raise Invalid('role', f'role must be one of {", ".join(ROLES)}')
    with core.session() as session:
        user = _get(session, user_id)
        if user.role == 'admin' and role != 'admin':
            _keep_an_admin(session, user)
        user.role = role
        session.add(user)
        return _view(user)


def set_disabled(core: Core, actor: Actor, user_id: str, *, disabled: bool) -> AccessChange:
    """Disable (or enable) an account; disabling ends its sessions and revokes the API keys it created, for good."""
    actor.require('admin')
    if disabled and actor.kind == 'user' and actor.id == user_id:
        raise Forbidden('you cannot disable your own account')
    with core.session() as session:
        user = _get(session, user_id)
        if disabled and user.role == 'admin':
            _keep_an_admin(session, user)
        user.disabled = disabled
        session.add(user)
        revoked = 0
        if disabled:
            session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))
            revoked = api_keys.revoke_keys_created_by(session, user_id)
        return AccessChange(_view(user), revoked_keys=revoked)


def set_theme(core: Core, actor: Actor, *, theme: str | None) -> UserView:
    """Remember the signed-in person's colours ('light' or 'dark'; None follows the system) for every browser."""
    if actor.kind != 'user' or actor.id is None:
        raise Forbidden('only a signed-in person has a theme')
    if theme is not None and theme not in set(Theme):
        raise Invalid('theme', f'must be {", ".join(Theme)} or none (follow the system)')
    with core.session() as session:
        user = _get(session, actor.id)
        user.theme = theme
        session.add(user)
        return _view(user)


def _check(*, email: str, password: str, role: str) -> str:
    """Validate before writing; returns the normalised email."""
    reject_nul(email=email, password=password)
    email = (email or '').strip().lower()
    local, _, domain = email.partition('@')
    if not local or not domain or ' ' in email or len(email) > 320:
        raise Invalid('email', 'enter an email address like ada@example.com')
    if len(password or '') < MIN_PASSWORD_LENGTH:
        raise Invalid('password', f'use at least {MIN_PASSWORD_LENGTH} characters')
    if role not in ROLES:
        raise Invalid('role', f'role must be one of {", ".join(ROLES)}')
    return email


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or '')
    except (VerificationError, InvalidHashError):
        return False


def _keep_an_admin(session: Session, user: User) -> None:
    others = session.exec(
        select(sa.func.count()).select_from(User).where(User.role == 'admin', User.disabled.is_(False), User.id != user.id)
    ).one()
    if others == 0:
        raise Conflict('this is the last active admin: make someone else admin first')


def _count(session: Session) -> int:
    return session.exec(select(sa.func.count()).select_from(User)).one()


def _get(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f'no user {user_id}')
    return user


def _insert(session: Session, *, email: str, password_hash: str, role: str) -> UserView:
    user = User(email=email, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return _view(user)


def _view(user: User) -> UserView:
    return UserView(user.id, user.email, user.role, user.disabled, user.created_at, user.last_login_at, user.theme)
