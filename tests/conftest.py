"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), the fake LLM server, a core."""

import gc
import importlib

import pytest

from data.db import make_engine
from tests import databases
from tests.loop_guard import LoopGuard

BACKENDS = ('sqlite', 'postgresql')
_postgres_problem: str | None = None
LOOP_GUARD = LoopGuard()


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_problem
    LOOP_GUARD.install()
    _postgres_problem = databases.postgres_reachable()
    if _postgres_problem and databases.REQUIRE_POSTGRES:
        raise pytest.UsageError(f'PostgreSQL is required here but not reachable: {_postgres_problem}')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a reachable PostgreSQL, run everything on SQLite and say so (no silent skips)."""
    if not _postgres_problem:
        return
    kept = [item for item in items if '[postgresql' not in item.nodeid and 'postgresql]' not in item.nodeid]
    deselected = [item for item in items if item not in kept]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# what main.py's web process and its workers import on their first start, which the tests do again and again
APP_MODULES = ('api.app', 'ui.pages', 'core.engine.worker', 'core.engine.supervisor', 'core.webhooks.deliverer',
               'core.bus.factory', 'openai', 'anthropic', 'ollama')  # fmt: skip


def pytest_collection_finish(session: pytest.Session) -> None:
    """Import the app's modules and exempt them from the garbage collector's full passes (about 300,000 objects).

    NiceGUI's `user` fixture runs two full passes per test, 0.2 s each over that heap, and the interpreter runs more
    of its own as the tests allocate; frozen, the passes walk only what the tests made since (about 0.01 s)."""
    for module in APP_MODULES:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()


def pytest_report_header(config: pytest.Config) -> str:
    if _postgres_problem:
        return f'PostgreSQL: NOT reachable ({_postgres_problem}); its tests are deselected, SQLite runs everything'
    return f'PostgreSQL: {databases.POSTGRES_URL}'


@pytest.fixture(autouse=True)
def event_loop_stays_free():
    """Fails the test when ui/ or api/ code made a database statement, a password hash or a schema validation run on
    the event loop (tests/loop_guard.py): the threading rule of the README."""
    LOOP_GUARD.take()
    yield
    found = LOOP_GUARD.take()
    if found:
        pytest.fail('blocking work on the event loop:\n' + '\n'.join(sorted({str(blocking) for blocking in found})))


@pytest.fixture(scope='session')
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> databases.SqliteTemplate:
    return databases.SqliteTemplate(tmp_path_factory.mktemp('sqlite-template'))


@pytest.fixture(scope='session')
def postgres_database():
    database = databases.PostgresDatabase()
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A freshly migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == 'sqlite':
        return request.getfixturevalue('sqlite_template').fresh_url(tmp_path)
    return request.getfixturevalue('postgres_database').fresh_url()


@pytest.fixture
def sqlite_url(sqlite_template: databases.SqliteTemplate, tmp_path) -> str:
    return sqlite_template.fresh_url(tmp_path)


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


from core.app import build_core  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.fakes.fixtures import fake_llm, fake_llm_server  # noqa: E402, F401


@pytest.fixture
def settings(database_url: str, tmp_path, fake_llm) -> Settings:  # noqa: F811  (the imported fixture)
    """Settings for one test: its own data dir and database, providers pointed at the fake LLM server."""
    return Settings.from_env(
        {
            'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data'),
            'HYPERSIGIL_DATABASE_URL': database_url,
            'HYPERSIGIL_SECRET_KEY': 'test-secret-key',
            **fake_llm.env,
        }
    )


@pytest.fixture
def core(settings: Settings):
    core = build_core(settings, migrate=False)  # the database fixtures hand over migrated databases
    yield core
    core.db.dispose()
