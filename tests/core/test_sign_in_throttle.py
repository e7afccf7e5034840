"""Sign-in throttling: per account and per address, counted in the database, never locking out a browser it knows."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from core import sign_in_throttle, users
from core.app import build_core
from core.errors import Unauthorized
from core.permissions import Actor
from core.sign_in_throttle import ACCOUNT_FREE_FAILURES, ADDRESS_FREE_FAILURES, FIRST_WAIT, MAX_WAIT, Throttled, wait_after

PASSWORD = 'correct horse battery'
ATTACKER, ADMIN_DESK = '203.0.113.9', '198.51.100.7'


@pytest.fixture
def ada(core) -> users.UserView:
    return users.create_user(core, Actor.system(), email='ada@example.com', password=PASSWORD, role='admin')


def fail(core, email: str = 'ada@example.com', *, address: str = ATTACKER, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized, match='wrong email or password'):
            users.authenticate(core, email=email, password='a guess', address=address)


def test_the_wait_starts_after_the_free_failures_doubles_and_is_capped() -> None:
    assert [wait_after(n, 5) for n in (0, 4)] == [timedelta(0), timedelta(0)]
    assert [wait_after(n, 5) for n in (5, 6, 7)] == [FIRST_WAIT, FIRST_WAIT * 2, FIRST_WAIT * 4]
    assert wait_after(50, 5) == wait_after(5000, 5) == MAX_WAIT


def test_wrong_passwords_hold_the_account_back_even_from_the_right_one(core, ada) -> None:
    fail(core, times=ACCOUNT_FREE_FAILURES)
    with pytest.raises(Throttled, match='too many failed sign-ins: try again in 30 seconds') as raised:
        users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK)
    assert raised.value.retry_after == 30


def test_fewer_failures_than_the_limit_do_not_block_and_a_success_clears_them(core, ada) -> None:
    fail(core, times=ACCOUNT_FREE_FAILURES - 1)
    users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ATTACKER)
    fail(core, times=ACCOUNT_FREE_FAILURES - 1)  # counted from zero again
    users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ATTACKER)


def test_an_unknown_email_is_throttled_like_a_real_one(core, ada) -> None:
    fail(core, 'nobody@example.com', times=ACCOUNT_FREE_FAILURES)
    with pytest.raises(Throttled):
        users.authenticate(core, email='nobody@example.com', password=PASSWORD, address=ADMIN_DESK)


def test_one_address_guessing_at_many_accounts_is_held_back(core, ada) -> None:
    for number in range(ADDRESS_FREE_FAILURES):
        fail(core, f'user{number}@example.com')
    with pytest.raises(Throttled):
        users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ATTACKER)
    assert users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK).id == ada.id


def test_guesses_at_an_admin_do_not_lock_out_the_browser_the_admin_signed_in_with(core, ada) -> None:
    known = users.known_browser_token(core, ada.id)
    fail(core, times=ACCOUNT_FREE_FAILURES)
    signed = users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK, known_browser=known)
    assert signed.id == ada.id
    with pytest.raises(Throttled):  # a browser new to the account still waits
        users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK)
    with pytest.raises(Throttled):  # and a known-browser token of another account is no key to this one
        other = users.create_user(core, ada.actor, email='bob@example.com', password=PASSWORD, role='viewer')
        users.authenticate(
            core,
            email='ada@example.com',
            password=PASSWORD,
            address=ADMIN_DESK,
            known_browser=users.known_browser_token(core, other.id),
        )


def test_every_instance_on_the_database_sees_the_counts(core, settings, ada) -> None:
    other = build_core(settings, migrate=False)  # another web instance on the same database
    try:
        fail(core, times=2)
        fail(other, times=ACCOUNT_FREE_FAILURES - 2)
        with pytest.raises(Throttled):
            users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK)
    finally:
        other.db.dispose()


def test_failures_counted_at_the_same_moment_are_all_counted(core, ada) -> None:
    failures = ACCOUNT_FREE_FAILURES + 3

    def one_failure(_: int) -> None:
        sign_in_throttle.record_failure(core, email='ada@example.com', address=ATTACKER)

    with ThreadPoolExecutor(failures) as pool:  # one connection each, as instances counting at once
        list(pool.map(one_failure, range(failures)))
    with pytest.raises(Throttled) as raised:
        users.authenticate(core, email='ada@example.com', password=PASSWORD, address=ADMIN_DESK)
    expected = wait_after(failures, ACCOUNT_FREE_FAILURES).total_seconds()
    assert expected - 15 < raised.value.retry_after <= expected


def test_the_message_names_the_wait_in_words() -> None:
    assert [sign_in_throttle.wait_text(s) for s in (1, 30, 60, 61, 900)] == [
        '1 second',
        '30 seconds',
        '1 minute',
        '2 minutes',
        '15 minutes',
    ]
