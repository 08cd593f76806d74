"""Which hosts a webhook may be delivered to.

A tenant chooses the URL and the platform makes the request, so without a check a webhook
is a way to reach what only the platform can reach: its own loopback, the private network
it runs in, a cloud's metadata service at 169.254.169.254. A host is allowed only if every
address it resolves to is public. `allow_private` (UNDERSIGN_WEBHOOK_ALLOW_PRIVATE) lifts
the check, for tests and for receivers on an internal network.
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

from undersign.domain.errors import InvalidInput
from undersign.domain.webhook import check_webhook_url

IPAddress = IPv4Address | IPv6Address

_METADATA = (IPv4Address("169.254.169.254"), IPv6Address("fd00:ec2::254"))
_SHARED = IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_PRIVATE = (
    IPv4Network("10.0.0.0/8"), IPv4Network("172.16.0.0/12"), IPv4Network("192.168.0.0/16"), IPv6Network("fc00::/7"),
)
_SITE_LOCAL = IPv6Network("fec0::/10")  # deprecated, but still private wherever it is used
_NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits


def refusal(address: IPAddress) -> str | None:
    """What kind of address this is, if deliveries may not go to it ("loopback", "private"…); None if they may.

    An IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64, 6to4) is judged by the
    IPv4 address, which is where the packets end up.
    """
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address in _METADATA:
        return "cloud metadata"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, IPv4Address) and address in _SHARED:
        return "shared (carrier-grade NAT)"
    if any(address in network for network in _PRIVATE if network.version == address.version):
        return "private"
    if isinstance(address, IPv6Address) and address in _SITE_LOCAL:
        return "site-local"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        # What remains: documentation, benchmarking and protocol-assignment ranges, Teredo…
        return "special-purpose"
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


async def check_target(url: str, *, allow_private: bool, timeout_seconds: float = 10) -> list[IPAddress]:
    """The addresses `url`'s host resolves to now; InvalidInput if it does not resolve or any of them is refused.

    Every refusal says the same "not allowed": telling a name that does not resolve from one
    that resolves to a private address would let a tenant map the platform's own network.

    The host is taken as httpx will connect to it (IDNA 2008), not as urllib or the socket
    module would encode it: "faß.de" is xn--fa-hia.de to httpx and fass.de to Python's idna
    codec, and checking one name while connecting to the other would check nothing.
    """
    url = check_webhook_url(url)
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError):
        raise InvalidInput(f"{url!r} is not a URL a webhook can be delivered to") from None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await _resolve(host, port, timeout_seconds)
    if allow_private:
        return addresses
    if any(refusal(address) is not None for address in addresses):
        raise _not_allowed(host)
    return addresses


def _not_allowed(host: str) -> InvalidInput:
    return InvalidInput(f"{host} is not allowed as a webhook target: webhooks go to public addresses only")


async def _resolve(host: str, port: int, timeout_seconds: float) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout_seconds):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (TimeoutError, OSError, UnicodeError):  # socket.gaierror is an OSError; an over-long label a UnicodeError
        raise _not_allowed(host) from None
    addresses = []
    for family, *_, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise _not_allowed(host)
    return addresses
