"""Which addresses a webhook may go to, and check_target on URLs that need no DNS beyond the hosts file."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from ipaddress import ip_address

import pytest

from undersign.adapters.webhooks.targets import check_target, refusal
from undersign.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("100.127.255.254", "shared (carrier-grade NAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "special-purpose"),  # documentation
        ("198.18.0.1", "special-purpose"),  # benchmarking
        ("0.1.2.3", "special-purpose"),  # "this network"
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("fc00::1", "private"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "special-purpose"),  # documentation
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:c0a8:101::1", "private"),  # 6to4 of 192.168.1.1
        ("::7f00:1", "reserved"),  # IPv4-compatible, deprecated
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        ("172.15.255.255", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("2001:4860:4860::8888", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8, what DNS64 gives an IPv6-only host
    ],
)
def test_address_classification(address: str, kind: str | None) -> None:
    assert refusal(ip_address(address)) == kind


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1/hooks", "127.0.0.1"),
        ("https://10.0.0.5:8443/x", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("http://localhost:9000/hooks", "localhost"),
        ("http://2130706433/", "2130706433"),
        ("http://0x7f.1/", "0x7f.1"),
        ("https://does-not-exist.invalid/hooks", "does-not-exist.invalid"),
        ("http://LOCALHOST./hooks", "localhost."),  # whether it resolves depends on the machine: refused either way
    ],
)
async def test_check_target_refuses_what_is_not_public_and_says_only_not_allowed(url: str, host: str) -> None:
    # The same words whether the name resolves to a private address or not at all: the
    # refusal must not tell a tenant how names resolve inside the platform's network.
    with pytest.raises(InvalidInput) as refused:
        await check_target(url, allow_private=False)
    assert refused.value.detail == f"{host} is not allowed as a webhook target: webhooks go to public addresses only"


async def test_check_target_allows_a_public_address() -> None:
    assert await check_target("https://8.8.8.8/hooks", allow_private=False) == [ip_address("8.8.8.8")]
    assert await check_target("https://[2001:4860:4860::8888]:8443/", allow_private=False) == [
        ip_address("2001:4860:4860::8888")
    ]


async def test_allow_private_lets_loopback_and_private_targets_through() -> None:
    assert await check_target("http://127.0.0.1:8080/hooks", allow_private=True) == [ip_address("127.0.0.1")]
    assert await check_target("http://10.0.0.5/", allow_private=True) == [ip_address("10.0.0.5")]
    assert ip_address("127.0.0.1") in await check_target("http://localhost/", allow_private=True)


async def test_a_name_that_does_not_resolve_is_refused_even_with_allow_private() -> None:
    with pytest.raises(InvalidInput, match="does-not-exist.invalid is not allowed"):
        await check_target("https://does-not-exist.invalid/hooks", allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://8.8.8.8/", "https://user:pw@8.8.8.8/", "https://8.8.8.8:99999/", "not a url", "https:///path"]
)
async def test_check_target_refuses_what_is_not_a_webhook_url(url: str) -> None:
    with pytest.raises(InvalidInput):
        await check_target(url, allow_private=True)


class _Resolver:
    """Stands in for the event loop's getaddrinfo: records what was asked, answers what it was given."""

    def __init__(self, *infos: tuple, delay: float = 0) -> None:
        self.infos, self.delay, self.asked = list(infos), delay, []

    async def __call__(self, host: str, port: int | None, **kwargs: object) -> list[tuple]:
        self.asked.append((host, port, kwargs))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.infos


def _inet(address: str) -> tuple:
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, 443))


def _inet6(address: str) -> tuple:
    return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, 443, 0, 0))


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[..., _Resolver]:
    def install(*infos: tuple, delay: float = 0) -> _Resolver:
        fake = _Resolver(*infos, delay=delay)
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake)
        return fake

    return install


@pytest.mark.parametrize(
    ("url", "port"),
    [("https://hooks.example.com/in", 443), ("http://hooks.example.com/in", 80),
     ("https://hooks.example.com:8443/", 8443), ("http://hooks.example.com:8080/", 8080)],
)
async def test_the_name_is_resolved_for_tcp_on_the_port_the_delivery_will_use(
    resolver: Callable[..., _Resolver], url: str, port: int
) -> None:
    fake = resolver(_inet("8.8.8.8"))
    assert await check_target(url, allow_private=False) == [ip_address("8.8.8.8")]
    assert fake.asked == [("hooks.example.com", port, {"type": socket.SOCK_STREAM, "proto": socket.IPPROTO_TCP})]


async def test_answers_of_other_families_are_passed_over_not_the_end_of_the_list(
    resolver: Callable[..., _Resolver],
) -> None:
    other = (socket.AF_UNIX, socket.SOCK_STREAM, 0, "", "/run/x.sock")
    resolver(other, _inet("8.8.8.8"), _inet6("2001:4860:4860::8888"), _inet("8.8.8.8"))
    assert await check_target("https://hooks.example.com/", allow_private=False) == [
        ip_address("8.8.8.8"), ip_address("2001:4860:4860::8888"),
    ]


async def test_a_name_with_no_internet_address_is_refused(resolver: Callable[..., _Resolver]) -> None:
    resolver((socket.AF_UNIX, socket.SOCK_STREAM, 0, "", "/run/x.sock"))
    with pytest.raises(InvalidInput) as refused:
        await check_target("https://hooks.example.com/", allow_private=True)
    assert refused.value.detail.startswith("hooks.example.com is not allowed")


async def test_one_private_answer_among_public_ones_refuses_the_host(resolver: Callable[..., _Resolver]) -> None:
    resolver(_inet("8.8.8.8"), _inet("10.0.0.5"))
    with pytest.raises(InvalidInput):
        await check_target("https://hooks.example.com/", allow_private=False)


async def test_a_resolver_slower_than_the_timeout_is_a_refusal(resolver: Callable[..., _Resolver]) -> None:
    resolver(_inet("8.8.8.8"), delay=0.5)
    with pytest.raises(InvalidInput, match="hooks.example.com is not allowed"):
        await check_target("https://hooks.example.com/", allow_private=True, timeout_seconds=0.01)
