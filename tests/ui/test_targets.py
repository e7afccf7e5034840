"""Where sign-in sends people: a path on this site, never anywhere a crafted `next` would carry them."""

import pytest

from ui.targets import login_url, safe_target


@pytest.mark.parametrize('target', ['/prompts', '/deployments/support-bot', '/executions?status=failed&origin=api'])
def test_paths_on_this_site_are_kept(target: str) -> None:
    assert safe_target(target) == target


@pytest.mark.parametrize(
    'target',
    [
        '/\\evil.example/x',  # browsers read \ as /
        '/\\/evil.example',
        '\\\\evil.example',
        '//evil.example/x',
        '/\t/evil.example',  # browsers drop tabs and newlines
        '/\n/evil.example',
        'https://evil.example/x',
        'javascript:alert(1)',
        'evil.example',
        '',
        None,
    ],
)
def test_anything_that_could_leave_the_site_goes_home_instead(target: str | None) -> None:
    assert safe_target(target) == '/deployments'


def test_the_sign_in_link_comes_back_to_the_page_with_its_query() -> None:
    assert login_url('/executions', 'status=failed') == '/login?next=%2Fexecutions%3Fstatus%3Dfailed'
    assert login_url('/') == login_url('/login') == '/login'
