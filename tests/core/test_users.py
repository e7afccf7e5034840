"""Accounts in core: argon2 hashes, one message for a wrong email or password, roles that core enforces."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from core import api_keys, users
from core.errors import Conflict, Forbidden, Invalid, Unauthorized
from core.permissions import Actor
from data.tables import User

PASSWORD = 'correct horse battery'
ADDRESS = '192.0.2.1'


def first_admin(core, email: str = 'ada@example.com') -> users.UserView:
    """The first admin, made as the operator does: with the token of the setup link printed at start."""
    return users.create_first_admin(core, token=users.issue_setup_token(core), email=email, password=PASSWORD)


def test_the_first_admin_exists_once(core) -> None:
    assert users.needs_first_admin(core)
    token = users.issue_setup_token(core)
    admin = users.create_first_admin(core, token=token, email=' Ada@Example.com ', password=PASSWORD)
    assert (admin.email, admin.role) == ('ada@example.com', 'admin')
    assert not users.needs_first_admin(core)
    assert users.issue_setup_token(core) is None
    with pytest.raises(Forbidden):
        users.create_first_admin(core, token=token, email='eve@example.com', password=PASSWORD)


def test_passwords_are_stored_as_argon2_hashes(core) -> None:
    first_admin(core)
    with core.session() as session:
        stored = session.exec(select(User)).one().password_hash
    assert stored.startswith('$argon2id$') and PASSWORD not in stored


def test_sign_in_checks_the_password_and_says_the_same_for_an_unknown_email(core) -> None:
    first_admin(core)
    assert users.authenticate(core, email='ADA@example.com', password=PASSWORD, address=ADDRESS).last_login_at is not None
    with pytest.raises(Unauthorized, match='wrong email or password'):
        users.authenticate(core, email='ada@example.com', password='wrong password', address=ADDRESS)
    with pytest.raises(Unauthorized, match='wrong email or password'):
        users.authenticate(core, email='nobody@example.com', password=PASSWORD, address=ADDRESS)


@pytest.mark.parametrize(
    ('email', 'password', 'role', 'field'),
    [
        ('not-an-email', PASSWORD, 'editor', 'email'),
        ('bob@example.com', 'short', 'editor', 'password'),
        ('bob@example.com', PASSWORD, 'owner', 'role'),
    ],
)
def test_bad_account_details_name_the_field(core, email, password, role, field) -> None:
    with pytest.raises(Invalid) as raised:
        users.create_user(core, Actor.system(), email=email, password=password, role=role)
    assert raised.value.field == field
    assert users.needs_first_admin(core)


def test_only_admins_manage_accounts(core) -> None:
    admin = first_admin(core)
    editor = users.create_user(core, admin.actor, email='bob@example.com', password=PASSWORD, role='editor')
    with pytest.raises(Forbidden):
        users.create_user(core, editor.actor, email='eve@example.com', password=PASSWORD, role='admin')
    with pytest.raises(Forbidden):
        users.set_role(core, editor.actor, editor.id, role='admin')
    with pytest.raises(Forbidden):
        users.list_users(core, editor.actor)


def test_roles_map_to_what_core_allows(core) -> None:
    admin = first_admin(core)
    viewer = users.create_user(core, admin.actor, email='vic@example.com', password=PASSWORD, role='viewer')
    assert viewer.actor.can('deployments:read') and not viewer.actor.can('deployments:write')
    assert not viewer.actor.can('deployments:run')
    editor = users.set_role(core, admin.actor, viewer.id, role='editor')
    assert editor.actor.can('deployments:write') and not editor.actor.can('admin')


def test_the_last_active_admin_cannot_be_demoted_or_disabled(core) -> None:
    admin = first_admin(core)
    with pytest.raises(Conflict):
        users.set_role(core, admin.actor, admin.id, role='viewer')
    other = users.create_user(core, admin.actor, email='bob@example.com', password=PASSWORD, role='admin')
    with pytest.raises(Forbidden):
        users.set_disabled(core, admin.actor, admin.id, disabled=True)
    users.set_disabled(core, admin.actor, other.id, disabled=True)
    with pytest.raises(Conflict):
        users.set_role(core, admin.actor, admin.id, role='editor')


def test_a_disabled_account_cannot_sign_in_and_its_session_ends(core) -> None:
    admin = first_admin(core)
    bob = users.create_user(core, admin.actor, email='bob@example.com', password=PASSWORD, role='editor')
    users.set_disabled(core, admin.actor, bob.id, disabled=True)
    assert next(u for u in users.list_users(core, admin.actor) if u.id == bob.id).disabled
    with pytest.raises(Unauthorized, match='disabled'):
        users.authenticate(core, email='bob@example.com', password=PASSWORD, address=ADDRESS)


def test_an_email_has_one_account(core) -> None:
    admin = first_admin(core)
    with pytest.raises(Invalid) as raised:
        users.create_user(core, admin.actor, email='ADA@example.com', password=PASSWORD, role='editor')
    assert raised.value.field == 'email'


def test_the_cli_creates_an_account_from_a_password_on_stdin(sqlite_url, tmp_path) -> None:
    env = {
        **os.environ,
        'HYPERSIGIL_DATA_DIR': str(tmp_path),
        'HYPERSIGIL_DATABASE_URL': sqlite_url,
        'HYPERSIGIL_SECRET_KEY': 'cli',
    }
    command = [sys.executable, 'main.py', 'users', 'create', '--email', 'ops@example.com', '--password-stdin', '--role', 'admin']
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(command, input=f'{PASSWORD}\n', capture_output=True, text=True, cwd=root, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith('created admin ops@example.com')


def test_disabling_a_user_revokes_the_api_keys_they_created_for_good(core) -> None:
    admin = first_admin(core)
    bob = users.create_user(core, admin.actor, email='bob@example.com', password=PASSWORD, role='admin')
    bobs = api_keys.create_api_key(core, bob.actor, name='bob-service', scopes=['deployments:run'])
    admins = api_keys.create_api_key(core, admin.actor, name='ada-service', scopes=['deployments:run'])
    from_cli = api_keys.create_api_key(core, Actor.system(), name='ops', scopes=['deployments:run'])
    change = users.set_disabled(core, admin.actor, bob.id, disabled=True)
    assert change.revoked_keys == 1 and change.user.disabled
    with pytest.raises(Unauthorized, match='revoked'):
        api_keys.authenticate(core, bobs.token)
    assert api_keys.authenticate(core, admins.token).id == admins.key.id
    assert api_keys.authenticate(core, from_cli.token).id == from_cli.key.id
    users.set_disabled(core, admin.actor, bob.id, disabled=False)
    with pytest.raises(Unauthorized, match='revoked'):
        api_keys.authenticate(core, bobs.token)


def test_a_theme_is_kept_per_account_and_only_light_dark_or_none(core) -> None:
    ada = first_admin(core)
    bob = users.create_user(core, Actor.system(), email='bob@example.com', password='correct horse battery', role='viewer')

    assert users.set_theme(core, bob.actor, theme='dark').theme == 'dark'

    themes = {u.email: u.theme for u in users.list_users(core, Actor.system())}
    assert themes == {ada.email: None, bob.email: 'dark'}
    with pytest.raises(Invalid) as caught:
        users.set_theme(core, bob.actor, theme='purple')
    assert caught.value.field == 'theme'
    with pytest.raises(Forbidden):
        users.set_theme(core, Actor.system(), theme='dark')
    assert users.set_theme(core, bob.actor, theme=None).theme is None
