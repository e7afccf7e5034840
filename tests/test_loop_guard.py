"""The loop guard (tests/loop_guard.py) sees blocking work that ui/ or api/ code does on an event loop, and nothing else."""

import asyncio

import argon2
import pytest
from jsonschema import Draft202012Validator

from data.db import make_engine
from tests.conftest import LOOP_GUARD
from tests.loop_guard import ROOT

# code that the guard takes for a face's: compiled as if it lived in api/ (nothing is written there)
PROBE = """
def query(engine):
    with engine.connect() as connection:
        connection.exec_driver_sql('SELECT 1')

def hash_password():
    argon2.PasswordHasher(time_cost=1, memory_cost=64).hash('secret')

def validate():
    list(Draft202012Validator({'type': 'string'}).iter_errors(1))
"""


def face_functions(directory: str) -> dict:
    namespace = {'argon2': argon2, 'Draft202012Validator': Draft202012Validator}
    exec(compile(PROBE, str(ROOT / directory / 'probe.py'), 'exec'), namespace)
    return namespace


@pytest.fixture
def sqlite_engine(sqlite_url: str):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


async def test_blocking_calls_from_api_code_on_the_loop_are_caught(sqlite_engine):
    probe = face_functions('api')
    probe['query'](sqlite_engine)
    probe['hash_password']()
    probe['validate']()
    found = LOOP_GUARD.take()
    assert [(blocking.what, blocking.face) for blocking in found] == [
        ('database statement', 'api/probe.py:4 in query'),
        ('password hash', 'api/probe.py:7 in hash_password'),
        ('JSON-schema validation', 'api/probe.py:10 in validate'),
    ]
    assert found[0].detail == 'SELECT 1'


async def test_the_same_calls_in_a_thread_or_from_test_code_pass(sqlite_engine):
    probe = face_functions('api')
    await asyncio.to_thread(probe['query'], sqlite_engine)
    await asyncio.to_thread(probe['validate'])
    with sqlite_engine.connect() as connection:  # test code seeding data on the loop
        connection.exec_driver_sql('SELECT 1')
    assert LOOP_GUARD.take() == []


def test_calls_without_an_event_loop_pass(sqlite_engine):
    face_functions('ui')['query'](sqlite_engine)
    assert LOOP_GUARD.take() == []
