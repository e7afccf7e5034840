"""Which addresses a webhook may reach without the allow setting: pure rules, no network."""

import pytest

from core.webhooks.addresses import refused_kind

REFUSED = [
    ('127.0.0.1', 'a loopback address'),
    ('127.255.0.9', 'a loopback address'),
    ('::1', 'a loopback address'),
    ('::ffff:127.0.0.1', 'a loopback address'),  # IPv4-mapped IPv6
    ('10.0.0.1', 'a private address'),
    ('172.16.5.4', 'a private address'),
    ('192.168.1.1', 'a private address'),
    ('::ffff:10.0.0.1', 'a private address'),
    ('fc00::1', 'a private address'),  # unique local
    ('169.254.169.254', 'a link-local address'),  # cloud metadata
    ('fe80::1', 'a link-local address'),
    ('0.0.0.0', 'an unspecified address'),
    ('::', 'an unspecified address'),
    ('224.0.0.1', 'a multicast address'),
    ('ff02::1', 'a multicast address'),
    ('240.0.0.1', 'a reserved address'),
    ('64:ff9b::7f00:1', 'a reserved address'),  # NAT64 of 127.0.0.1
    ('::127.0.0.1', 'a reserved address'),  # IPv4-compatible IPv6
    ('100.64.0.1', 'a non-public address'),  # carrier-grade NAT
]


@pytest.mark.parametrize(('address', 'kind'), REFUSED)
def test_a_non_public_address_is_refused_with_its_kind(address: str, kind: str):
    assert refused_kind(address) == kind


@pytest.mark.parametrize('address', ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
def test_a_public_unicast_address_is_allowed(address: str):
    assert refused_kind(address) is None
