"""The URL check when an endpoint is saved: its shape, then every address its host resolves to (no public name resolved)."""

import ipaddress

import pytest

from core.errors import Invalid
from core.webhooks.targets import check_url


def refusal(url: str, *, allow_private: bool = False) -> str:
    with pytest.raises(Invalid) as raised:
        check_url(url, allow_private=allow_private)
    assert raised.value.field == 'url'
    return raised.value.detail


@pytest.mark.parametrize(
    ('url', 'reason'),
    [
        ('not a url', 'spaces'),
        ('example.com/hook', 'absolute URL'),
        ('https://', 'absolute URL'),
        ('https://' + 'a' * 2990 + '.example/', 'at most 2000 characters'),
        ('ftp://files.example/hook', 'must use https'),
        ('https://user:password@hooks.example/', 'user name or password'),
        ('https://token@hooks.example/', 'user name or password'),
        ('https://hooks.example:99999/', 'not a valid URL'),
        ('https://hooks.example:0/', 'port'),
        ('https://hooks\\example/', 'not a valid URL'),
        ('https://hooks.example/\nHost: evil', 'control characters'),
    ],
)
def test_a_malformed_url_is_invalid_naming_url(url: str, reason: str):
    assert reason in refusal(url)


def test_ftp_stays_refused_with_allow_private():
    assert refusal('ftp://127.0.0.1/', allow_private=True) == 'must use https or http'


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080/', 'http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::1]/'])
def test_plain_http_is_refused_without_allow_private(url: str):
    assert refusal(url) == 'must use https'


@pytest.mark.parametrize(
    ('url', 'reason'),
    [
        ('https://127.0.0.1:8443/', '127.0.0.1 is a loopback address'),
        ('https://10.0.0.1/', '10.0.0.1 is a private address'),
        ('https://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'),
        ('https://[::1]/', '::1 is a loopback address'),
        # Python 3.11 writes this address ::ffff:7f00:1, 3.13 ::ffff:127.0.0.1
        ('https://[::ffff:127.0.0.1]/', f'{ipaddress.ip_address("::ffff:127.0.0.1")} is a loopback address'),
        ('https://localhost/hook', 'localhost resolves to a loopback address'),
        ('https://2130706433/', '2130706433 resolves to a loopback address'),  # 127.0.0.1 written as one number
        ('https://0x7f.1/', '0x7f.1 resolves to a loopback address'),
    ],
)
def test_a_host_on_a_non_public_address_is_refused_without_allow_private(url: str, reason: str):
    assert refusal(url) == reason


def test_a_name_with_public_answers_is_accepted(dns):
    dns('hooks.test', [['8.8.8.8', '2606:4700:4700::1111']])
    assert check_url('https://hooks.test/in', allow_private=False) == 'https://hooks.test/in'


def test_a_name_with_one_private_answer_among_public_ones_is_refused(dns):
    dns('mixed.test', [['8.8.8.8', '10.1.2.3', '1.1.1.1']])
    assert refusal('https://mixed.test/') == 'mixed.test resolves to a private address'


def test_a_name_that_does_not_resolve_is_refused(dns):
    dns('nowhere.test', ['not-an-address'])
    assert refusal('https://nowhere.test/') == 'the host name nowhere.test does not resolve'


@pytest.mark.parametrize('url', ['https://8.8.8.8/hook', 'https://[2606:4700:4700::1111]:8443/hook?source=hypersigil'])
def test_a_public_https_url_is_accepted_unchanged(url: str):
    assert check_url(url, allow_private=False) == url


@pytest.mark.parametrize('url', ['http://127.0.0.1:8080/', 'http://localhost:9000/hook', 'https://10.0.0.1/', 'http://[::1]/'])
def test_allow_private_accepts_local_and_private_targets(url: str):
    assert check_url(url, allow_private=True) == url
