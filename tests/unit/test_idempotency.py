"""Idempotency keys on fakes: claimed once, answered from the record, given up on failure, expired after a day."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tests.fakes.platform import FakePlatform
from undersign.application.access.idempotency import (
    CLAIM_LEASE,
    KEY_LIFETIME,
    Claim,
    IdempotentRequest,
    KeyOwner,
    fingerprint,
)
from undersign.application.access.permissions import Caller
from undersign.application.access.ports import StoredResponse
from undersign.application.shared.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from undersign.domain.tenant import AccessRole

ACME = Caller(tenant_id="tenant-acme", credential_id="apikey-1", actor="api_key:apikey-1", role=AccessRole.SENDER)
# The same key id in another tenant: records must be told apart by tenant too, not by key id alone.
GLOBEX = Caller(tenant_id="tenant-globex", credential_id="apikey-1", actor="api_key:apikey-1", role=AccessRole.SENDER)
CREATED = StoredResponse(status=201, headers={"content-type": "application/json"}, body=b'{"id":"env-1"}')


def request(key: str = "key-1", body: bytes = b'{"subject":"Lease"}', caller: Caller = ACME, path: str = "/v1/envelopes"):
    return IdempotentRequest(owner=KeyOwner.of(caller), key=key, fingerprint=fingerprint("POST", path, body))


async def claimed(platform: FakePlatform, req: IdempotentRequest) -> Claim:
    outcome = await platform.idempotency.begin(req)
    assert isinstance(outcome, Claim)
    return outcome


def test_the_fingerprint_is_the_sha256_of_method_path_and_body() -> None:
    assert fingerprint("post", "/v1/envelopes", b"{}") == fingerprint("POST", "/v1/envelopes", b"{}")
    assert len({
        fingerprint("POST", "/v1/envelopes", b"{}"), fingerprint("PUT", "/v1/envelopes", b"{}"),
        fingerprint("POST", "/v1/envelopes/x/signers", b"{}"), fingerprint("POST", "/v1/envelopes", b"{ }"),
    }) == 4


async def test_a_repeat_gets_the_first_response_back(platform) -> None:
    claim = await claimed(platform, request())
    assert await platform.idempotency.complete(claim, CREATED)

    assert await platform.idempotency.begin(request()) == CREATED
    platform.clock.advance(KEY_LIFETIME - timedelta(seconds=1))
    assert await platform.idempotency.begin(request()) == CREATED


async def test_the_same_key_for_another_request_is_refused(platform) -> None:
    claim = await claimed(platform, request())
    await platform.idempotency.complete(claim, CREATED)

    for other in (request(body=b'{"subject":"Other"}'), request(path="/v1/envelopes/env-1/signers")):
        with pytest.raises(IdempotencyKeyReused):
            await platform.idempotency.begin(other)


async def test_a_repeat_while_the_first_is_running_is_refused_until_its_lease_ends(platform) -> None:
    first = await claimed(platform, request())

    with pytest.raises(IdempotencyKeyInProgress):
        await platform.idempotency.begin(request())

    platform.clock.advance(CLAIM_LEASE)  # the first request died without an answer
    second = await claimed(platform, request())
    assert not await platform.idempotency.complete(first, CREATED)  # too late: its claim is gone
    assert await platform.idempotency.complete(second, CREATED)
    assert await platform.idempotency.begin(request()) == CREATED


async def test_a_failed_request_gives_its_key_up(platform) -> None:
    await platform.idempotency.release(await claimed(platform, request()))

    await claimed(platform, request(body=b'{"subject":"Fixed"}'))


async def test_keys_expire_after_a_day_and_are_purged_when_the_tenant_claims_another(platform) -> None:
    for key in ("key-1", "key-2"):
        await platform.idempotency.complete(await claimed(platform, request(key)), CREATED)
    await platform.idempotency.complete(await claimed(platform, request(caller=GLOBEX)), CREATED)

    platform.clock.advance(KEY_LIFETIME)
    await claimed(platform, request("key-1", body=b'{"subject":"A day later"}'))

    assert set(platform.idempotency_keys.records) == {("tenant-acme", "apikey-1", "key-1"), ("tenant-globex", "apikey-1", "key-1")}


async def test_keys_are_the_tenants_own(platform) -> None:
    await platform.idempotency.complete(await claimed(platform, request()), CREATED)

    await claimed(platform, request(caller=GLOBEX, body=b'{"subject":"Globex"}'))


async def test_a_stored_response_is_replayed_only_to_the_api_key_that_made_it(platform) -> None:
    admin = Caller(tenant_id="tenant-acme", credential_id="key-admin", actor="api_key:key-admin", role=AccessRole.ADMIN)
    await platform.idempotency.complete(await claimed(platform, request(caller=admin)), CREATED)

    # Another key of the same tenant sending the same key and body does the work itself.
    assert isinstance(await platform.idempotency.begin(request(caller=ACME)), Claim)
    assert await platform.idempotency.begin(request(caller=admin)) == CREATED


@pytest.mark.parametrize("key", ["", "k" * 256, "with space", "naïve", "tab\there"])
async def test_a_key_is_one_to_255_visible_ascii_characters(platform, key) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        await platform.idempotency.begin(request(key))


def test_a_fingerprint_is_keyed_with_the_callers_secret():
    body = b'{"name": "Ada", "authentication": {"method": "access_code", "access_code": "kiwi-42-door"}}'
    mine = fingerprint("POST", "/v1/envelopes/x/signers", body, secret=b"caller one")
    assert mine == fingerprint("POST", "/v1/envelopes/x/signers", body, secret=b"caller one")
    assert mine != fingerprint("POST", "/v1/envelopes/x/signers", body, secret=b"caller two")
    assert mine != hashlib.sha256(b"POST /v1/envelopes/x/signers\n" + body).hexdigest()


def test_the_fingerprint_without_a_secret_is_the_hmac_under_an_empty_key_of_the_upper_case_method() -> None:
    import hmac

    expected = hmac.new(b"", b"POST /v1/envelopes\n{}", hashlib.sha256).hexdigest()
    assert fingerprint("post", "/v1/envelopes", b"{}") == expected


@pytest.mark.parametrize("key", ["k", "!", "~", "!~", "k" * 255])
async def test_a_key_of_one_visible_character_or_of_255_is_accepted(platform, key) -> None:
    await claimed(platform, request(key))


async def test_each_refusal_names_the_key(platform) -> None:
    from undersign.application.access.idempotency import MAX_KEY_LENGTH

    with pytest.raises(InvalidIdempotencyKey, match=f"1 to {MAX_KEY_LENGTH} visible ASCII characters"):
        await platform.idempotency.begin(request("with space"))
    await claimed(platform, request())
    with pytest.raises(IdempotencyKeyInProgress, match="'key-1' is still in progress"):
        await platform.idempotency.begin(request())
    with pytest.raises(IdempotencyKeyReused, match="'key-1' was used for another request"):
        await platform.idempotency.begin(request(body=b"{}"))


async def test_a_request_that_loses_the_race_to_claim_a_key_answers_with_the_winners_response(platform) -> None:
    from dataclasses import replace

    from tests.fakes.access import FakeIdempotencyKeys
    from undersign.application.access.idempotency import Idempotency

    class WonByAnother(FakeIdempotencyKeys):
        """Another request claims the key, and answers, between this one's look and its claim."""

        async def add(self, record):
            if not self.records:
                await super().add(replace(record, claim="the other one", response=CREATED))
            return await super().add(record)

    idempotency = Idempotency(WonByAnother(), platform.clock, platform.ids)
    assert await idempotency.begin(request()) == CREATED


async def test_requests_racing_past_every_round_are_told_to_ask_again(platform) -> None:
    from tests.fakes.access import FakeIdempotencyKeys
    from undersign.application.access.idempotency import Idempotency

    class AlwaysTaken(FakeIdempotencyKeys):
        async def add(self, record):
            return False

    with pytest.raises(IdempotencyKeyInProgress, match="'key-1' are racing"):
        await Idempotency(AlwaysTaken(), platform.clock, platform.ids).begin(request())
