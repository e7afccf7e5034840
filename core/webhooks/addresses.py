"""Which IP addresses a webhook may not reach without HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE: anything not on the public internet."""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refused_kind(address: str) -> str | None:
    """Why `address` is off limits ('a loopback address', ...), or None for a public unicast address."""
    ip = ipaddress.ip_address(address)
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return _kind(ip)


def _kind(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return 'an unspecified address'
    if ip.is_loopback:
        return 'a loopback address'
    if ip.is_link_local:
        return 'a link-local address'
    if ip.is_multicast:
        return 'a multicast address'
    if ip.is_reserved:
        return 'a reserved address'
    if ip.is_private:
        return 'a private address'
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared by carrier-grade NAT
        return 'a non-public address'
    return None
