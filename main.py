"""Wires Hypersigil together: settings -> database -> core -> worker; the dashboard with the API at /api/v1; the CLI."""

import argparse
import logging
import os
import sys
from contextlib import suppress
from typing import TYPE_CHECKING

from core.settings import Settings

# NiceGUI reads where to keep per-browser storage as it is imported: in the (private) data dir, not ./.nicegui
os.environ.setdefault('NICEGUI_STORAGE_PATH', str(Settings.from_env().data_dir / 'nicegui'))

if TYPE_CHECKING:
    from core.api_keys import ApiKeyView

COMMANDS = ('serve', 'worker', 'migrate', 'users', 'keys')


def main(argv: list[str]) -> None:
    os.umask(0o077)  # whatever this process writes (database, key, session storage) is readable by its owner alone
    command = argv[1] if len(argv) > 1 and argv[1] in COMMANDS else 'serve'
    settings = Settings.from_env()
    if command == 'migrate':
        from core.app import build_core

        build_core(settings)
        print('database is up to date')
        return
    if command == 'worker':
        from core.engine.supervisor import watch_supervisor

        parent = watch_supervisor(settings.env)  # from the first moment: the imports and migrations take seconds
        from core.engine.process import run_worker

        run_worker(settings, parent)
        # nothing is left to do, and finalizing the interpreter took 3.5 s more under load (the SDKs' modules): a
        # supervisor waits for it, and an orphan must be gone within 5 s
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    if command == 'users':
        sys.exit(users_command(settings, argv[2:]))
    if command == 'keys':
        sys.exit(keys_command(settings, argv[2:]))
    serve(settings)


def serve(settings: Settings) -> None:
    from nicegui import app, ui  # here, not at the top: a worker process (`main.py worker`) does without it

    from api.app import api, bind_core, serve_first
    from core import users
    from core.app import WEB_LOCK_WAIT_SECONDS, build_core, worker_core
    from core.bus.factory import transport_for
    from core.engine.supervisor import Supervisor
    from core.engine.worker import Worker
    from core.webhooks.deliverer import Deliverer
    from ui import brand, pages

    core = build_core(settings, lock_wait=WEB_LOCK_WAIT_SECONDS)
    setup_token = users.issue_setup_token(core)
    if setup_token:  # as Jupyter does: only someone who can read this console creates the first admin
        print(f'No account exists yet. Create the admin account at {setup_link(settings, setup_token)}', flush=True)
    # the API module defines no pages, so it survives the test fixture's reloads: mount it only once
    if not any(getattr(route, 'path', None) == '/api/v1' for route in app.routes):
        app.mount('/api/v1', api)
    serve_first(app)  # API calls skip the dashboard's middleware (security headers, gzip)
    bind_core(core)
    pages.register(core)
    app.on_startup(lambda: core.bus.connect(transport_for(settings)))  # events to and from the other processes
    workers_core = worker_core(core)  # its own engine on SQLite: a worker waits out write locks, a request does not
    if settings.inline_worker:
        worker = Worker(workers_core, name='web')
        app.on_startup(worker.start)
        app.on_shutdown(worker.stop)  # gracefully: runs in flight finish or go back to the queue
        deliverer = Deliverer(workers_core)  # webhook deliveries go out from wherever executions run
        app.on_startup(deliverer.start)
        app.on_shutdown(deliverer.stop)
    if settings.workers:
        supervisor = Supervisor(settings.workers, [sys.executable, os.path.abspath(__file__), 'worker'], env=dict(settings.env))
        app.on_startup(supervisor.start)
        app.on_shutdown(lambda: supervisor.stop())  # NiceGUI passes the app to a handler that takes an argument
    app.on_shutdown(core.bus.disconnect)  # after the workers: their last events are sent
    app.on_shutdown(core.registry.aclose)  # after the workers: their calls are done
    app.on_shutdown(lambda: core.db.dispose())
    app.on_shutdown(lambda: workers_core.db.dispose())
    with suppress(KeyboardInterrupt):  # uvicorn raises Ctrl-C again once it has shut down (the workers stopped by then)
        ui.run(
            host=settings.host,
            port=settings.port,
            title='Hypersigil',
            favicon=brand.FAVICON,
            dark=None,  # follow the system's light or dark setting until the person picks one (ui/frame.py)
            reload=False,
            show=False,
        )


def setup_link(settings: Settings, token: str) -> str:
    host = '127.0.0.1' if settings.host in ('0.0.0.0', '::', '') else settings.host
    return f'http://{host}:{settings.port}/setup?token={token}'


def users_command(settings: Settings, args: list[str]) -> int:
    """`users create --email E --password-stdin --role admin`: an account made from the shell."""
    from core import users
    from core.app import build_core
    from core.errors import DomainError
    from core.permissions import ROLES, Actor

    parser = argparse.ArgumentParser(prog='main.py users')
    commands = parser.add_subparsers(dest='command', required=True)
    create = commands.add_parser('create', help='create an account')
    create.add_argument('--email', required=True)
    create.add_argument('--password-stdin', action='store_true', required=True, help='read the password from standard input')
    create.add_argument('--role', choices=ROLES, default='admin')
    options = parser.parse_args(args)
    password = sys.stdin.readline().rstrip('\r\n')
    core = build_core(settings)
    try:
        user = users.create_user(core, Actor.system(), email=options.email, password=password, role=options.role)
    except DomainError as error:
        print(f'error: {error.message}', file=sys.stderr)
        return 1
    finally:
        core.db.dispose()
    print(f'created {user.role} {user.email}')
    return 0


def keys_command(settings: Settings, args: list[str]) -> int:
    """`keys create --name N --scopes a,b [--expires-days D] [--requests-per-minute R] [--concurrent-runs C]` (the key
    alone on the last line), `keys list`, `keys limits ID [--requests-per-minute R|none] [--concurrent-runs C|none]`,
    `keys revoke ID`."""
    from core import api_keys
    from core.app import build_core
    from core.errors import DomainError
    from core.permissions import SCOPES, Actor

    parser = argparse.ArgumentParser(prog='main.py keys')
    commands = parser.add_subparsers(dest='command', required=True)
    create = commands.add_parser('create', help='create a key and print it (shown only this once)')
    create.add_argument('--name', required=True)
    create.add_argument('--scopes', required=True, help=f'comma-separated: {",".join(SCOPES)}')
    create.add_argument('--expires-days', type=int, default=None)
    create.add_argument('--requests-per-minute', type=int, default=None, help='runs it may start a minute')
    create.add_argument('--concurrent-runs', type=int, default=None, help='runs it may have pending or running at once')
    commands.add_parser('list', help='list keys (never their secrets)')
    limits = commands.add_parser('limits', help="change a key's rate limits ('none' lifts one; a limit left out stays)")
    limits.add_argument('id')
    for flag in ('--requests-per-minute', '--concurrent-runs'):
        limits.add_argument(flag, type=_limit, default=argparse.SUPPRESS, metavar='N|none')
    revoke = commands.add_parser('revoke', help='revoke a key at once')
    revoke.add_argument('id')
    options = parser.parse_args(args)
    core, actor = build_core(settings), Actor.system()
    try:
        if options.command == 'create':
            scopes = [scope.strip() for scope in options.scopes.split(',')]
            created = api_keys.create_api_key(
                core, actor, name=options.name, scopes=scopes, expires_days=options.expires_days,
                requests_per_minute=options.requests_per_minute, concurrent_runs=options.concurrent_runs,
            )  # fmt: skip
            key, expiry = created.key, created.key.expires_at.isoformat() if created.key.expires_at else 'never'
            print(f'created key {key.id} ({", ".join(key.scopes)}; expires {expiry}; {_limits_text(key)})')
            print('store it now; it is not shown again:')
            print(created.token)
        elif options.command == 'list':
            for key in api_keys.list_api_keys(core, actor):
                state = 'revoked' if key.revoked_at else f'expires {key.expires_at:%Y-%m-%d}' if key.expires_at else 'active'
                used = f'{key.last_used_at:%Y-%m-%d %H:%M}' if key.last_used_at else 'never'
                limits_text = _limits_text(key)
                print(f'{key.id}  {key.hint}  {key.name!r}  [{",".join(key.scopes)}]  {state}  {limits_text}  last used {used}')
        elif options.command == 'limits':
            changes = {name: getattr(options, name) for name in ('requests_per_minute', 'concurrent_runs') if name in options}
            key = api_keys.update_api_key(core, actor, options.id, changes=changes)
            print(f'{key.id} ({key.name}): {_limits_text(key)}')
        else:
            key = api_keys.revoke_api_key(core, actor, options.id)
            print(f'revoked {key.id} ({key.name})')
    except DomainError as error:
        print(f'error: {error.message}', file=sys.stderr)
        return 1
    finally:
        core.db.dispose()
    return 0


def _limit(text: str) -> int | None:
    """A limit on the command line: a number, or 'none' for no limit."""
    return None if text.strip().lower() == 'none' else int(text)


def _limits_text(key: 'ApiKeyView') -> str:
    per_minute = f'{key.requests_per_minute} runs/min' if key.requests_per_minute else 'no runs/min limit'
    at_once = f'{key.concurrent_runs} runs at once' if key.concurrent_runs else 'no concurrency limit'
    return f'{per_minute}, {at_once}'


if __name__ in {'__main__', '__mp_main__'}:
    main(sys.argv)
