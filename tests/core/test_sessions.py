"""Dashboard sessions in core: a one-time ticket for a new token at each sign-in, one read per action, over on sign-out."""

import pytest
import sqlalchemy as sa

from core import sessions, users
from core.app import build_core
from core.errors import Unauthorized
from core.permissions import Actor
from core.sessions import SessionEnded
from data.tables import UserSession

PASSWORD = 'correct horse battery'


@pytest.fixture
def ada(core) -> users.UserView:
    return users.create_user(core, Actor.system(), email='ada@example.com', password=PASSWORD, role='admin')


def signed_in(core, email: str = 'ada@example.com', *, replacing: str | None = None) -> str:
    ticket = sessions.sign_in(core, email=email, password=PASSWORD, address='10.0.0.1')
    token, _ = sessions.start_session(core, ticket, replacing=replacing)
    return token


def test_a_ticket_starts_one_session_once(core, ada) -> None:
    ticket = sessions.sign_in(core, email='ada@example.com', password=PASSWORD, address='10.0.0.1')
    token, user = sessions.start_session(core, ticket)
    assert user.id == ada.id and sessions.resolve(core, token).email == 'ada@example.com'
    with pytest.raises(Unauthorized, match='expired or was used already'):
        sessions.start_session(core, ticket)


def test_every_sign_in_gets_a_new_token_and_ends_the_session_it_replaces(core, ada) -> None:
    first = signed_in(core)
    second = signed_in(core, replacing=first)
    assert second != first
    with pytest.raises(SessionEnded):
        sessions.resolve(core, first)
    assert sessions.resolve(core, second).id == ada.id


def test_a_made_up_or_missing_token_opens_nothing(core, ada) -> None:
    for token in (None, '', 'planted-by-someone-else'):
        with pytest.raises(SessionEnded):
            sessions.resolve(core, token)


def test_signing_out_ends_the_session_for_every_tab(core, ada) -> None:
    token = signed_in(core)
    sessions.end_session(core, token)
    with pytest.raises(SessionEnded):
        sessions.resolve(core, token)


def test_a_role_change_shows_at_the_next_read(core, ada) -> None:
    token = signed_in(core)
    other = users.create_user(core, Actor.system(), email='bob@example.com', password=PASSWORD, role='admin')
    users.set_role(core, other.actor, ada.id, role='viewer')
    actor = sessions.resolve(core, token).actor
    assert not actor.can('admin') and actor.can('deployments:read')


def test_disabling_ends_the_sessions_and_enabling_does_not_revive_them(core, ada) -> None:
    bob = users.create_user(core, ada.actor, email='bob@example.com', password=PASSWORD, role='editor')
    token = signed_in(core, 'bob@example.com')
    users.set_disabled(core, ada.actor, bob.id, disabled=True)
    with pytest.raises(SessionEnded):
        sessions.resolve(core, token)
    users.set_disabled(core, ada.actor, bob.id, disabled=False)
    with pytest.raises(SessionEnded):
        sessions.resolve(core, token)


def test_only_hmacs_of_tokens_and_tickets_are_stored(core, ada) -> None:
    ticket = sessions.sign_in(core, email='ada@example.com', password=PASSWORD, address='10.0.0.1')
    token, _ = sessions.start_session(core, ticket)
    with core.db.connect() as connection:
        stored = ' '.join(str(value) for row in connection.execute(sa.select(UserSession.__table__)) for value in row)
    assert token not in stored and ticket not in stored


def test_another_instance_on_the_database_sees_the_session_and_its_end(core, settings, ada) -> None:
    token = signed_in(core)
    other = build_core(settings, migrate=False)  # a second process on the same database
    try:
        assert sessions.resolve(other, token).id == ada.id
        sessions.end_session(other, token)
        with pytest.raises(SessionEnded):
            sessions.resolve(core, token)
    finally:
        other.db.dispose()
