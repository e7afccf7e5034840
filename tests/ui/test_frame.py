"""The page frame: a Menu button that opens and closes the navigation (phones start with it closed), and a theme
button that follows the system until clicked and is remembered on the account, in every browser."""

from nicegui import ui
from nicegui.testing import User

from core import users
from core.permissions import Actor
from tests.ui.conftest import eventually, marked, only, signed_in


async def test_the_menu_button_is_named_menu_and_opens_and_closes_the_navigation(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/executions')
    menu = marked(user, 'menu')
    assert menu.props['aria-label'] == 'Menu'
    drawer = marked(user, 'navigation')
    drawer.value = False  # as on a phone, where it starts closed
    user.find(marker='menu').click()
    assert drawer.value is True
    user.find(marker='menu').click()
    assert drawer.value is False
    user.find(marker='menu').click()
    assert drawer.value is True
    await user.should_see('Settings')


async def test_the_navigation_opens_by_itself_only_on_wide_screens(user: User, seed) -> None:
    await signed_in(user, seed)
    await user.open('/prompts')
    assert marked(user, 'navigation').props['show-if-above'] is True  # Quasar: open from 1024 px, closed below


async def test_the_theme_follows_the_system_until_chosen_and_is_kept_on_the_account(user: User, seed) -> None:
    account = await signed_in(user, seed)
    await user.open('/deployments')
    assert only(user, ui.dark_mode).value is None  # the system's setting
    assert marked(user, 'theme').props['aria-label'].startswith('Theme: as the system')
    user.find(marker='theme').click()
    await eventually(lambda: only(user, ui.dark_mode).value is True)
    assert theme_of(seed, account.email) == 'dark'
    await user.open('/prompts')  # another page (or browser) of the same account
    assert only(user, ui.dark_mode).value is True
    user.find(marker='theme').click()
    await eventually(lambda: theme_of(seed, account.email) == 'light')
    assert only(user, ui.dark_mode).value is False
    user.find(marker='theme').click()
    await eventually(lambda: theme_of(seed, account.email) is None)
    assert only(user, ui.dark_mode).value is None


def theme_of(core, email: str) -> str | None:
    return next(u.theme for u in users.list_users(core, Actor.system()) if u.email == email)


async def test_an_unknown_address_shows_our_not_found_page_inside_the_frame(user: User, seed) -> None:
    await signed_in(user, seed)
    response = await user.http_client.get('/no-such-page')
    assert response.status_code == 404
    page = response.text
    assert 'There is no page at /no-such-page.' in page and 'Page not found' in page
    assert 'aria-label' in page and '/executions' in page  # the header's Menu button and the navigation
    assert 'HTTPException' not in page


async def test_an_unknown_address_offers_a_visitor_the_sign_in(user: User) -> None:
    response = await user.http_client.get('/no-such-page')
    assert response.status_code == 404
    assert 'Sign in to Hypersigil' in response.text and 'HTTPException' not in response.text


async def test_on_a_phone_tables_keep_only_their_main_columns(user: User, seed) -> None:
    await signed_in(user, seed)
    tables = {'/deployments': {'name', 'model'}, '/executions': {'status', 'deployment'}, '/prompts': {'name', 'version'}}
    for path, main in tables.items():
        await user.open(path)
        columns = only(user, ui.table).columns
        shown_on_a_phone = {c['name'] for c in columns if 'gt-xs' not in c.get('classes', '')}
        assert shown_on_a_phone == main, path
        assert all(c.get('headerClasses') == 'gt-xs' for c in columns if c['name'] not in main)
