"""The tables in a real headless Chromium: a row's checkbox selects it without opening it, the executions page
writes its filters into the address bar, so a reload shows the same list, and each footer counts the rows."""

import asyncio
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from core import deployments, executions, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from core.vocabulary import ExecutionStatus
from data.tables import Execution
from tests.e2e.test_browser import WAIT, Page, browser, server  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.browser
EXECUTION = Execution.__table__


@pytest.fixture
def seeded(server, sqlite_url, fake_llm, tmp_path) -> str:  # noqa: F811  (the imported fixture)
    """Two deployments, written to the app's database as another process would."""
    core = build_core(Settings.from_env({'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'seed'),
                                         'HYPERSIGIL_SECRET_KEY': 'seed', **fake_llm.env}), migrate=False)  # fmt: skip
    try:
        prompt = prompts.create_prompt(core, Actor.system(), name='Helpdesk', template='Be brief.')
        for name in ('billing-bot', 'sales-bot'):
            create = deployments.create_deployment(
                core, Actor.system(), name=name, prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
            )
            asyncio.run(create)
    finally:
        core.db.dispose()
    return server


@pytest.fixture
def runs(seeded, sqlite_url, fake_llm, tmp_path) -> str:
    """Twelve runs of billing-bot besides: more than a page of ten."""
    core = build_core(Settings.from_env({'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'seed'),
                                         'HYPERSIGIL_SECRET_KEY': 'seed', **fake_llm.env}), migrate=False)  # fmt: skip
    try:
        for number in range(12):
            asyncio.run(executions.run_deployment(core, Actor.system(), 'billing-bot', user_input=f'Parcel {number}?'))
    finally:
        core.db.dispose()
    wait_until_finished(sqlite_url)  # a run finishing while a page is open would reload its table, and hide a wrong count
    return seeded


def test_a_checkbox_selects_a_row_and_a_click_elsewhere_opens_it(seeded, browser, tmp_path) -> None:  # noqa: F811
    page = Page(browser, tmp_path / 'failure.png')
    sign_up(page, seeded, tmp_path / 'server.log')
    browser.get(f'{seeded}/deployments')
    page.see('billing-bot')
    page.footer_keeps('1-2 of 2')
    checkbox = browser.find_elements(By.CSS_SELECTOR, 'tbody tr .q-checkbox')[0]
    checkbox.click()
    page.see('1 selected')
    assert browser.current_url == f'{seeded}/deployments'
    browser.find_elements(By.XPATH, '//tbody//td[normalize-space()="gpt-4o-mini"]')[1].click()
    page.see('Try it')
    assert browser.current_url == f'{seeded}/deployments/sales-bot'


def test_the_executions_page_pages_and_keeps_its_filters_in_the_address_bar(runs, browser, tmp_path) -> None:  # noqa: F811
    page = Page(browser, tmp_path / 'failure.png')
    sign_up(page, runs, tmp_path / 'server.log')
    browser.get(f'{runs}/executions?pageSize=10')
    page.see('billing-bot')
    page.footer_keeps('1-10 of 12')
    page.wait_for(
        lambda: page.visible('//div[contains(@class, "q-table__bottom")]//button[.//i[.="chevron_right"]]'), 'next page'
    ).click()
    page.wait_for(lambda: page.footer() == '11-12 of 12', 'the second page')
    assert browser.current_url == f'{runs}/executions?page=2&pageSize=10'
    page.type('Search input and result', 'refund')
    WebDriverWait(browser, WAIT).until(lambda driver: driver.current_url.endswith('/executions?search=refund&pageSize=10'))
    browser.refresh()
    field = page.see('No execution matches these filters.')
    assert field is not None
    value = browser.execute_script(
        "return [...document.querySelectorAll('input')].map(input => input.value).find(value => value === 'refund')"
    )
    assert value == 'refund'


def wait_until_finished(url: str) -> None:
    """Until the app's worker has finished every run."""
    engine = sa.create_engine(url)
    unfinished = sa.select(sa.func.count()).where(EXECUTION.c.status.in_([ExecutionStatus.PENDING, ExecutionStatus.RUNNING]))
    deadline = time.monotonic() + WAIT
    try:
        while True:
            with engine.connect() as connection:
                if connection.execute(unfinished).scalar() == 0:
                    return
            assert time.monotonic() < deadline, f'the runs did not finish within {WAIT} s'
            time.sleep(0.1)
    finally:
        engine.dispose()


def sign_up(page: Page, server: str, log: Path) -> None:  # noqa: F811
    """The admin account from the setup link the server printed (as tests/e2e/test_browser.py does)."""
    page.driver.get(server + re.search(r'/setup\?token=\S+', log.read_text()).group(0))
    page.see('Create the admin account')
    page.type('Admin email', 'ada@example.com')
    page.type('Password', 'correct horse battery')
    page.type('Repeat password', 'correct horse battery')
    page.click('Create admin account')
    page.see('New deployment')
