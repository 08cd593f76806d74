"""HttpWebhookSender against a real receiver on loopback that verifies signatures with the reference library."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.webhook_receiver import webhook_receiver
from undersign.adapters.webhooks.sender import HttpWebhookSender
from undersign.application.webhooks.ports import WebhookResult

PAYLOAD = {
    "type": "recipient.declined",
    "timestamp": "2026-11-02T10:00:00+00:00",
    "data": {"envelope_id": "env_1", "reason": "Prix erroné"},  # not ASCII: signed as the UTF-8 sent
}
BODY = json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
async def sender() -> AsyncIterator[HttpWebhookSender]:
    sender = HttpWebhookSender(allow_private=True, timeout_seconds=2)
    yield sender
    await sender.aclose()


async def send(
    sender: HttpWebhookSender, url: str, secrets: list[str], message_id: str = "msg_1", at: datetime | None = None
) -> WebhookResult:
    return await sender.send(url=url, secrets=secrets, message_id=message_id, at=at or datetime.now(UTC), body=BODY)


async def test_a_delivery_signed_with_the_endpoints_secret_verifies(sender: HttpWebhookSender) -> None:
    secret = new_secret()
    with webhook_receiver(secret, fail_first=0) as receiver:
        at = datetime.now(UTC)
        result = await send(sender, receiver.url, [secret], message_id="msg_one", at=at)

    assert (result.status_code, result.error) == (200, None)
    assert result.duration_ms >= 0
    [request] = receiver.requests
    assert request.verified
    assert request.body == BODY
    assert request.webhook_id == "msg_one"
    assert request.headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Undersign-Webhooks/1"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert " " not in request.headers["webhook-signature"]


async def test_a_time_in_another_zone_is_signed_as_the_same_instant(sender: HttpWebhookSender) -> None:
    secret = new_secret()
    at = datetime.now(UTC).astimezone(timezone(timedelta(hours=2)))
    with webhook_receiver(secret, fail_first=0) as receiver:
        result = await send(sender, receiver.url, [secret], at=at)

    assert result.status_code == 200
    [request] = receiver.requests
    assert request.headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert request.verified  # the reference library refuses a timestamp two hours off


async def test_during_a_rotation_a_receiver_holding_either_secret_verifies(sender: HttpWebhookSender) -> None:
    old, new = new_secret(), new_secret()
    with webhook_receiver(old, fail_first=0) as receiver:
        await send(sender, receiver.url, [new, old], message_id="msg_a")
        receiver.set_secret(new)
        await send(sender, receiver.url, [new, old], message_id="msg_b")
        receiver.set_secret(new_secret())  # someone else's secret
        await send(sender, receiver.url, [new, old], message_id="msg_c")

    verified = [(r.webhook_id, r.verified) for r in receiver.requests]
    assert verified == [("msg_a", True), ("msg_b", True), ("msg_c", False)]
    assert len(receiver.requests[0].headers["webhook-signature"].split(" ")) == 2


async def test_failed_attempts_come_back_with_their_status_and_the_same_message_succeeds_later(
    sender: HttpWebhookSender,
) -> None:
    secret = new_secret()
    with webhook_receiver(secret, fail_first=2) as receiver:
        results = [await send(sender, receiver.url, [secret], message_id="msg_retry") for _ in range(3)]
        other = await send(sender, receiver.url, [secret], message_id="msg_other")

    assert [r.status_code for r in results] == [500, 500, 200]
    assert [r.error for r in results] == [None, None, None]
    assert other.status_code == 500  # counted per message
    assert all(r.verified and r.webhook_id in ("msg_retry", "msg_other") for r in receiver.requests)
    assert [r.status for r in receiver.requests] == [500, 500, 200, 500]


async def test_a_closed_port_is_no_answer_and_quickly(sender: HttpWebhookSender) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()

    result = await send(sender, f"http://127.0.0.1:{port}/hooks", [new_secret()])

    assert result.status_code is None
    assert result.error and result.error.startswith("could not connect")
    assert time.monotonic() - started < 1


async def test_a_redirect_is_not_followed_and_is_a_failure(sender: HttpWebhookSender) -> None:
    secret = new_secret()
    with (
        webhook_receiver(secret, fail_first=0) as target,
        webhook_receiver(secret, fail_first=0, redirect_to=target.url) as receiver,
    ):
        result = await send(sender, receiver.url, [secret])

    assert result.status_code == 302
    assert result.error == "answered with a redirect, which is not followed"
    assert len(receiver.requests) == 1
    assert target.requests == []


async def test_a_receiver_slower_than_the_timeout_is_no_answer() -> None:
    sender = HttpWebhookSender(allow_private=True, timeout_seconds=0.5)
    secret = new_secret()
    try:
        with webhook_receiver(secret, fail_first=0, delay_seconds=5) as receiver:
            started = time.monotonic()
            result = await send(sender, receiver.url, [secret])
            elapsed = time.monotonic() - started
    finally:
        await sender.aclose()

    assert result.status_code is None
    assert result.error == "no answer within 0.5 s"
    assert 0.4 < elapsed < 2
    assert 400 <= result.duration_ms < 2000
    assert len(receiver.requests) == 1  # it arrived; the answer did not


async def test_without_allow_private_a_loopback_target_is_not_contacted() -> None:
    sender = HttpWebhookSender(allow_private=False)
    secret = new_secret()
    try:
        with webhook_receiver(secret, fail_first=0) as receiver:
            result = await send(sender, receiver.url, [secret])
            with pytest.raises(AssertionError):
                receiver.wait_for(lambda requests: len(requests) > 0, timeout=0.3)
    finally:
        await sender.aclose()

    assert result.status_code is None
    assert result.duration_ms == 0
    assert result.error == "not sent: 127.0.0.1 is not allowed as a webhook target: webhooks go to public addresses only"
    assert receiver.requests == []


async def test_a_secret_that_cannot_sign_is_reported_not_raised(sender: HttpWebhookSender) -> None:
    with webhook_receiver(new_secret(), fail_first=0) as receiver:
        no_secret = await send(sender, receiver.url, [])
        empty = await send(sender, receiver.url, ["whsec_"])

    assert (no_secret.status_code, empty.status_code) == (None, None)
    assert no_secret.error and no_secret.error.startswith("not sent: cannot sign")
    assert empty.error and empty.error.startswith("not sent: cannot sign")
    assert receiver.requests == []


async def test_cookies_a_receiver_sets_are_not_sent_back(sender: HttpWebhookSender) -> None:
    secret = new_secret()
    with webhook_receiver(secret, fail_first=0) as receiver:
        await send(sender, receiver.url, [secret], message_id="msg_1")
        await send(sender, receiver.url, [secret], message_id="msg_2")

    assert "cookie" not in receiver.requests[1].headers
