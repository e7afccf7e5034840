"""A person in a real headless Chromium: first-run admin from the printed link, a prompt, a deployment, a run whose
reply streams in; two tabs of one browser, where signing out in one stops the other."""

import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.server import running_app

pytestmark = pytest.mark.browser
WAIT = 20.0
REPLY = 'The browser sees this reply arrive piece by piece.'
VIEWER_ZONE = 'Asia/Kolkata'  # UTC+05:30 all year: the hours and the minutes differ from UTC's


@pytest.fixture
def server(tmp_path: Path, sqlite_url: str, fake_llm) -> Iterator[str]:
    """`python main.py` as people start it, on a free port, with its own database and the fake LLM."""
    with running_app(tmp_path, {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': sqlite_url}) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = start_chromium()
    yield driver
    driver.quit()


def start_chromium(*, width: int = 1400, height: int = 1000, offline: bool = False) -> webdriver.Chrome:
    """Headless Chromium with a `width` x `height` viewport (a phone's, touch and all, when narrow); `offline`: every
    host but 127.0.0.1 fails to resolve, as on a server without internet."""
    chromium, chromedriver = shutil.which('chromium'), shutil.which('chromedriver')
    if not (chromium and chromedriver):
        pytest.fail('headless Chromium is missing: run scripts/ensure-chromium (make test does)')
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'):
        options.add_argument(argument)
    options.add_argument(f'--window-size={width},{height}')
    if offline:
        options.add_argument('--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1')
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.implicitly_wait(0)
    phone = width < 600
    driver.execute_cdp_cmd(
        'Emulation.setDeviceMetricsOverride',
        {'width': width, 'height': height, 'deviceScaleFactor': 3 if phone else 1, 'mobile': phone},
    )
    if phone:
        driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})
    return driver


def test_sign_up_create_a_prompt_and_a_deployment_and_watch_a_run_stream_in(server, browser, fake_llm, tmp_path) -> None:
    fake_llm.reply(REPLY)
    fake_llm.chunk_delay = 0.3  # slow enough that the page shows the reply growing
    page = Page(browser, tmp_path / 'failure.png')
    browser.execute_cdp_cmd('Emulation.setTimezoneOverride', {'timezoneId': VIEWER_ZONE})
    browser.execute_cdp_cmd('Emulation.setLocaleOverride', {'locale': 'en-GB'})

    browser.get(server)
    page.see('open the setup link that the server printed in its console')  # the first visitor alone cannot set up
    create_admin(page, server, tmp_path / 'server.log')

    browser.get(f'{server}/prompts/new')
    page.type('Name', 'Helpdesk')
    page.type('Template', 'You are a terse helpdesk agent.')
    page.see('Variables: none')
    page.click('Create prompt')
    page.see('Versions')
    browser.get(f'{server}/prompts')
    page.see('You are a terse helpdesk agent.')
    page.footer_keeps('1-1 of 1')

    browser.get(f'{server}/deployments')
    page.click('New deployment')
    page.type('Name', 'support-bot')
    page.choose('Prompt', 'Helpdesk')
    page.choose('Provider', 'OpenAI')
    page.choose('Model', 'gpt-4o-mini')
    page.click('Save')
    page.see('Try it')
    page.see('/api/v1/deployments/support-bot/run')

    page.type('Input', 'How do I reset my password?')
    page.click('Run')
    seen = page.watch_output(until=REPLY)
    page.see('completed in')
    browser.save_screenshot(str(tmp_path / 'try-it.png'))
    assert len(seen) >= 2, f'the reply should grow in place, but the page only ever showed {seen}'
    assert (tmp_path / 'try-it.png').stat().st_size > 0

    browser.get(f'{server}/executions')  # the table in the viewer's zone, short; the UTC time on hover
    cell = page.wait_for(lambda: page.visible('//tbody//td//span[contains(@class, "local-time")]'), 'a time in the table')
    page.footer_keeps('1-1 of 1')
    utc = datetime.strptime(cell.get_attribute('title'), '%Y-%m-%d %H:%M:%S UTC').replace(tzinfo=UTC)
    local = utc.astimezone(ZoneInfo(VIEWER_ZONE))
    assert cell.text == f'{local.day} {local:%b}, {local:%H:%M}', (cell.text, utc)
    assert abs(utc - datetime.now(UTC)) < timedelta(minutes=5)


def test_signing_out_in_one_tab_stops_the_other_at_its_next_click(server, browser, sqlite_url, tmp_path) -> None:
    page = Page(browser, tmp_path / 'failure.png')
    create_admin(page, server, tmp_path / 'server.log')
    browser.get(f'{server}/settings')
    page.open_tab('API keys')
    page.type('Name', 'backdoor')
    settings_tab = browser.current_window_handle

    browser.switch_to.new_window('tab')  # the same browser, so the same session cookie
    browser.get(f'{server}/prompts')
    page.click('Log out')
    page.see('Sign in to Hypersigil')

    browser.switch_to.window(settings_tab)
    page.click('Create key')
    page.see('You are signed out')
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text('SELECT count(*) FROM api_key')).scalar_one() == 0
    engine.dispose()


SCREENS = [pytest.param(390, 844, id='phone-390x844'), pytest.param(1280, 800, id='desktop-1280x800')]
# what sticks out past the screen's right edge, except inside a box that scrolls sideways by design (code)
OVERFLOW = """
const width = window.innerWidth;
const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
const wider = [...document.querySelectorAll('body *')].filter(e => {
  const box = e.getBoundingClientRect();
  if (box.width === 0 || box.right <= width + 1 || getComputedStyle(e).visibility === 'hidden') return false;
  for (let up = e.parentElement; up; up = up.parentElement) {
    if (scrolls(up) && up.getBoundingClientRect().right <= width + 1) return false;
  }
  return true;
});
return {
  scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
  wider: wider.slice(0, 5).map(e => `${e.tagName}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}`),
};
"""
DRAWER_OPEN = "const b = document.querySelector('aside.q-drawer').getBoundingClientRect(); return b.right > 1 && b.left >= 0"
# the open navigation's entries sit below the header, nothing over them (a tooltip, the header), the Menu button on top
NAVIGATION_CLEAR = """
const header = document.querySelector('header.q-header').getBoundingClientRect();
const onTop = e => {
  const box = e.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return hit !== null && e.contains(hit);
};
const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const tips = [...document.querySelectorAll('.q-tooltip')].map(e => e.getBoundingClientRect());  // they let clicks through
const entries = [...document.querySelectorAll('aside a')].map(e => [e, e.parentElement.getBoundingClientRect()]);
return entries.length > 0 && onTop(document.querySelector('button[aria-label="Menu"]')) && entries.every(
  ([link, row]) => row.top >= header.bottom && onTop(link) && !tips.some(tip => overlap(tip, row))
);
"""


@pytest.mark.parametrize(('width', 'height'), SCREENS)
def test_every_page_fits_the_screen_and_the_menu_opens_closes_and_reopens(server, fake_llm, tmp_path, width, height) -> None:
    fake_llm.reply(REPLY)
    shots = tmp_path / 'screenshots'
    shots.mkdir()
    driver = start_chromium(width=width, height=height, offline=True)  # nothing but the app is reachable
    try:
        page = Page(driver, shots / 'failure.png')
        create_admin(page, server, tmp_path / 'server.log')
        check_fits(page, shots / f'{width}-deployments-empty.png')

        use_the_menu(page, phone=width < 1024)
        page.see('No prompts yet')
        driver.get(f'{server}/prompts/new')
        page.type('Name', 'Helpdesk')
        page.type('Template', 'Answer {{customer}} about {{topic}} in one line.')
        page.see('Variables: customer, topic')
        check_fits(page, shots / f'{width}-prompt-new.png')
        page.click('Create prompt')
        page.see('Versions')
        prompt_url = driver.current_url
        check_fits(page, shots / f'{width}-prompt.png')

        driver.get(f'{server}/deployments')
        page.click('New deployment')
        page.type('Name', 'support-bot')
        page.choose('Prompt', 'Helpdesk')
        page.choose('Provider', 'OpenAI')
        page.choose('Model', 'gpt-4o-mini')
        check_fits(page, shots / f'{width}-deployment-dialog.png')
        page.click('Save')
        page.see('Try it')
        page.type('customer', 'Ada')  # one input per variable of the prompt
        page.type('topic', 'billing')
        # one failed attempt first: its line on the execution page carries the provider's message, which must wrap
        fake_llm.fail(503, retry_after=0.01, message='The service is overloaded at the moment; please try again later.')
        page.click('Run')
        page.watch_output(until=REPLY)
        page.see('completed in')
        check_fits(page, shots / f'{width}-deployment.png')
        assert 'Ada' in str(fake_llm.last_chat('openai').body['messages'])

        page.link('Open this execution')
        page.see('Execution ')
        page.see('Failed — will try again: OpenAI answered 503')
        check_fits(page, shots / f'{width}-execution.png')
        times = driver.execute_script("return [...document.querySelectorAll('[data-utc]')].map(e => [e.textContent, e.title])")
        assert times and all(shown != utc and utc.endswith(' UTC') for shown, utc in times), times  # local, UTC on hover
        for path, text in (
            ('/deployments', 'support-bot'),
            ('/executions', 'support-bot'),
            ('/prompts', 'Helpdesk'),
            (prompt_url.removeprefix(server), 'Versions'),
            ('/files', 'Files'),
            ('/settings', 'Providers'),
            ('/no-such-page', 'There is no page at'),
        ):
            driver.get(server + path)
            page.see(text)
            check_fits(page, shots / f'{width}-{path.strip("/").replace("/", "-")}.png')
        for tab in ('API keys', 'Users'):
            driver.get(f'{server}/settings')
            page.open_tab(tab)
            page.see('Add a person' if tab == 'Users' else 'Create key')
            check_fits(page, shots / f'{width}-settings-{tab.replace(" ", "-").lower()}.png')

        driver.get(f'{server}/deployments/support-bot')  # dark mode: chosen in the header, kept for the next page
        page.wait_for(lambda: page.visible('//button[starts-with(@aria-label, "Theme")]'), 'the theme button').click()
        dark = "return document.body.classList.contains('body--dark')"
        page.wait_for(lambda: driver.execute_script(dark), 'the dark theme')
        check_fits(page, shots / f'{width}-dark-deployment.png')
        driver.get(f'{server}/executions')
        page.see('support-bot')
        assert driver.execute_script(dark)
        check_fits(page, shots / f'{width}-dark-executions.png')

        errors = [entry['message'] for entry in driver.get_log('browser') if entry['level'] == 'SEVERE']
        errors = [message for message in errors if '/no-such-page' not in message]  # that 404 is the point
        assert errors == [], errors

        driver.get(f'{server}/api/v1/docs')  # Swagger UI, its files from the app: the network is cut
        operations = "return [...document.querySelectorAll('.opblock-summary-path')].map(p => p.innerText)"
        paths = lambda: [re.sub(r'[\s\u200b]', '', path) for path in driver.execute_script(operations)]  # noqa: E731
        page.wait_for(lambda: '/deployments/{name}/run' in paths(), 'the operations in the API docs')
        assert len(paths()) > 10
        driver.save_screenshot(str(shots / f'{width}-api-docs.png'))
    finally:
        driver.quit()
    assert len(list(shots.glob(f'{width}-*.png'))) >= 15


def use_the_menu(page: 'Page', *, phone: bool) -> None:
    """Open, close and reopen the navigation with the header's Menu button, then go to Prompts through it."""
    driver = page.driver
    menu = page.wait_for(lambda: page.visible('//button[@aria-label="Menu"]'), 'the Menu button')
    starts = 'closed' if phone else 'open'
    page.wait_for(lambda: driver.execute_script(DRAWER_OPEN) is not phone, f'the navigation to start {starts}')
    for opens in (True, False, True) if phone else (False, True):
        # a tap where the Menu button is (on a phone the open navigation's backdrop takes it, which closes it too)
        ActionChains(driver).move_to_element(menu).click().perform()
        state = 'open' if opens else 'closed'
        page.wait_for(lambda opens=opens: driver.execute_script(DRAWER_OPEN) is opens, f'the navigation {state}')
        if opens:
            time.sleep(0.6)  # the drawer's and any tooltip's transitions end
            assert driver.execute_script(NAVIGATION_CLEAR), 'the open navigation is covered, or covers the Menu button'
    page.wait_for(lambda: page.visible('//aside//a[normalize-space()="Prompts"]'), 'Prompts in the navigation').click()
    page.wait_for(lambda: driver.current_url.endswith('/prompts'), 'the Prompts page')
    after = 'closed' if phone else 'open'  # on a phone the next page starts with the navigation out of the way
    page.wait_for(lambda: driver.execute_script(DRAWER_OPEN) is not phone, f'the navigation {after} on the new page')


def check_fits(page: 'Page', shot: Path) -> None:
    """Nothing on the page is wider than the screen (so nothing scrolls sideways); a screenshot either way."""
    time.sleep(0.3)  # the layout settles (fonts, transitions)
    page.driver.save_screenshot(str(shot))
    measured = page.driver.execute_script(OVERFLOW)
    assert measured['scrollWidth'] <= measured['innerWidth'], f'{page.driver.current_url} is wider than the screen: {measured}'
    assert measured['wider'] == [], f'on {page.driver.current_url} these stick out past the screen: {measured}'


def create_admin(page: 'Page', server: str, log: Path) -> None:
    """Open the setup link the server printed at start, as its operator does, and create the admin account."""
    page.driver.get(server + re.search(r'/setup\?token=\S+', log.read_text()).group(0))
    page.see('Create the admin account')
    page.type('Admin email', 'ada@example.com')
    page.type('Password', 'correct horse battery')
    page.type('Repeat password', 'correct horse battery')
    page.click('Create admin account')
    page.see('No deployments yet')


class Page:
    """Find things the way a person does: by the words on screen."""

    def __init__(self, driver: webdriver.Chrome, failure_shot: Path) -> None:
        self.driver = driver
        self.failure_shot = failure_shot

    def see(self, text: str) -> WebElement:
        return self._wait(lambda: self.visible(f'//*[contains(normalize-space(text()), {_quoted(text)})]'), f'text {text!r}')

    def type(self, label: str, text: str) -> None:
        field = self._wait(lambda: self.visible(f'{_field(label)}//*[self::input or self::textarea]'), f'field {label!r}')
        field.click()
        field.send_keys(text)

    def click(self, text: str) -> None:
        self._wait(lambda: self.visible(f'//button[.//span[normalize-space()={_quoted(text)}]]'), f'button {text!r}').click()

    def link(self, text: str) -> None:
        self._wait(lambda: self.visible(f'//a[normalize-space()={_quoted(text)}]'), f'link {text!r}').click()

    def wait_for(self, found, what: str):
        return self._wait(found, what)

    def open_tab(self, label: str) -> None:
        self._wait(
            lambda: self.visible(f'//*[contains(@class, "q-tab__label")][normalize-space()={_quoted(label)}]'), f'tab {label!r}'
        ).click()

    def choose(self, label: str, option: str) -> None:
        """Open a select by its label and pick an option from its menu (options may load a moment later)."""
        self._wait(lambda: self.visible(_field(label)), f'select {label!r}').click()
        menu_item = f'//div[contains(@class, "q-menu")]//div[contains(@class, "q-item")][normalize-space()={_quoted(option)}]'
        self._wait(lambda: self.visible(menu_item), f'option {option!r} of {label!r}').click()
        self._wait(lambda: not self.visible(menu_item), f'the {label!r} menu to close')

    def footer(self) -> str | None:
        """The table's count as its footer words it ("1-10 of 12"); None while the footer is hidden (no rows)."""
        return self.driver.execute_script(
            "return document.querySelector('.q-table__bottom')?.innerText.match(/\\d+-\\d+ of \\d+/)?.[0] ?? null"
        )

    def footer_keeps(self, count: str) -> None:
        """The table's footer reads `count` from the moment it shows, and still does a second later: the browser's
        first message about the table, answered by then, once turned it into "1-0 of 0" under the rows."""
        self._wait(lambda: self.footer() is not None, 'the table footer')
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            assert self.footer() == count, f'the footer reads {self.footer()!r}, not {count!r}'
            time.sleep(0.05)

    def watch_output(self, *, until: str) -> list[str]:
        """The distinct texts the output showed while the reply streamed in."""
        seen: list[str] = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            text = self.driver.execute_script(
                "const e = [...document.querySelectorAll('.font-mono.whitespace-pre-wrap')].pop(); return e ? e.innerText : '';"
            )
            if text and (not seen or seen[-1] != text):
                seen.append(text)
            if text == until:
                return seen
            time.sleep(0.05)
        raise AssertionError(f'the reply never appeared in full; the page showed {seen}')

    def visible(self, xpath: str) -> WebElement | None:
        try:
            return next((e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()), None)
        except StaleElementReferenceException:
            return None

    def _wait(self, found, what: str):
        try:
            return WebDriverWait(
                self.driver, WAIT, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
            ).until(lambda _: found())
        except WebDriverException as error:
            self.driver.save_screenshot(str(self.failure_shot))
            raise AssertionError(f'waited {WAIT} s for {what} on {self.driver.current_url}') from error


def _field(label: str) -> str:
    return f'//label[contains(@class, "q-field")][.//div[contains(@class, "q-field__label")][normalize-space()={_quoted(label)}]]'


def _quoted(text: str) -> str:
    return f'"{text}"' if '"' not in text else f"'{text}'"
