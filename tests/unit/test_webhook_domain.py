"""Webhook endpoints and deliveries: what a target URL may be, which events exist, rotation, attempts."""

from datetime import UTC, datetime, timedelta

import pytest

from undersign.domain.errors import InvalidInput
from undersign.domain.events import EnvelopeCreated, FieldPlaced, SignerAdded
from undersign.domain.webhook import (
    MAX_URL_LENGTH,
    PUBLIC_EVENTS,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    check_webhook_url,
    webhook_payload,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def endpoint(**overrides) -> WebhookEndpoint:
    given = dict(endpoint_id="w1", tenant_id="t1", url="https://hooks.example.com/undersign",
                 events=["envelope.sealed"], secret="whsec_one", description="", now=NOW)
    return WebhookEndpoint.register(**{**given, **overrides})


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://example.com/x", "https://"),
        ("https://", "https://"),
        ("https://user:pw@example.com/x", "credentials"),
        ("https://example.com/x#frag", "fragment"),
        ("https://example.com:99999/x", "not a URL"),
        ("https://exa mple.com/x", "spaces"),
        ("https://example.com/" + "a" * 2048, "at most"),
    ],
)
def test_a_target_url_must_be_plain_http_or_https_without_credentials(url, complaint):
    with pytest.raises(InvalidInput, match=complaint):
        check_webhook_url(url)


def test_a_good_url_is_kept_as_given():
    assert check_webhook_url(" https://hooks.example.com:8443/a?b=c ") == "https://hooks.example.com:8443/a?b=c"


def test_events_must_be_known_and_at_least_one():
    with pytest.raises(InvalidInput, match="at least one"):
        endpoint(events=[])
    with pytest.raises(InvalidInput, match="unknown events envelope.exploded"):
        endpoint(events=["envelope.sealed", "envelope.exploded"])
    assert endpoint(events=["envelope.sent", "envelope.sent"]).events == frozenset({"envelope.sent"})


def test_draft_editing_is_not_published():
    assert FieldPlaced.webhook is None and EnvelopeCreated.webhook is None and SignerAdded.webhook is None
    assert {"envelope.sent", "recipient.signed", "envelope.sealed"} <= PUBLIC_EVENTS


def test_after_a_rotation_both_secrets_sign_for_the_overlap_then_only_the_new_one():
    hook = endpoint()
    hook.rotate_secret(new_secret="whsec_two", now=NOW, overlap=timedelta(hours=24))
    assert hook.signing_secrets(NOW + timedelta(hours=23)) == ["whsec_two", "whsec_one"]
    assert hook.signing_secrets(NOW + timedelta(hours=24)) == ["whsec_two"]


def test_a_delivery_succeeds_with_a_2xx_and_keeps_every_attempt():
    delivery = WebhookDelivery(id="msg_1", tenant_id="t1", endpoint_id="w1", event_type="envelope.sealed",
                               payload={}, created_at=NOW)
    first = delivery.record_attempt(at=NOW, status_code=500, error=None, duration_ms=3)
    assert not first.succeeded and delivery.status is DeliveryStatus.PENDING
    delivery.record_attempt(at=NOW, status_code=None, error="connection refused", duration_ms=1)
    third = delivery.record_attempt(at=NOW, status_code=204, error=None, duration_ms=2)
    assert third.succeeded and third.number == 3 and delivery.status is DeliveryStatus.SUCCEEDED
    delivery.give_up()  # too late: it was delivered
    assert delivery.status is DeliveryStatus.SUCCEEDED


def test_a_failed_delivery_can_be_redelivered():
    delivery = WebhookDelivery(id="msg_1", tenant_id="t1", endpoint_id="w1", event_type="envelope.sealed",
                               payload={}, created_at=NOW)
    delivery.give_up()
    assert delivery.status is DeliveryStatus.FAILED
    delivery.redeliver()
    assert delivery.status is DeliveryStatus.PENDING


def test_the_payload_carries_identifiers_not_evidence():
    payload = webhook_payload(
        event_name="recipient.signed", at=NOW, envelope_id="e1",
        data={"signer_id": "s1", "ip": "203.0.113.9", "user_agent": "x", "fields": {"f1": "secret"}},
    )
    assert payload == {"type": "recipient.signed", "timestamp": NOW.isoformat(), "data": {"envelope_id": "e1", "signer_id": "s1"}}


def test_a_signatures_webhook_names_how_the_signer_was_authenticated_and_nothing_of_the_rest_of_the_evidence():
    data = {
        "signer_id": "s-1", "auth_method": "email_otp", "ip": "203.0.113.9", "user_agent": "Firefox",
        "signature_text": "Ada", "certificate_serials": ["ab"], "fields": {"f-1": "yes"},
    }  # fmt: skip
    payload = webhook_payload(event_name="recipient.signed", at=NOW, envelope_id="env-1", data=data)
    assert payload["data"] == {"envelope_id": "env-1", "signer_id": "s-1", "auth_method": "email_otp"}
    assert "recipient.locked" in PUBLIC_EVENTS


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://example.com/x", "^a webhook URL starts with https:// \\(or http://\\) and names a host$"),
        ("https://user@example.com/x", "^a webhook URL cannot carry credentials: verify deliveries by their signature$"),
        ("https://example.com/x#frag", "^a webhook URL cannot have a fragment$"),
        ("https://exa mple.com/x", "^a webhook URL cannot contain spaces or control characters$"),
    ],
)
def test_each_refused_url_says_what_a_webhook_url_cannot_be(url, complaint):
    with pytest.raises(InvalidInput, match=complaint):
        check_webhook_url(url)


def test_a_url_of_exactly_the_maximum_length_is_taken():
    url = "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/"))
    assert check_webhook_url(url) == url


def test_refused_event_names_list_the_known_ones():
    known = ", ".join(sorted(PUBLIC_EVENTS))
    with pytest.raises(InvalidInput) as none:
        endpoint(events=[])
    assert none.value.detail == f"a webhook needs at least one event: {known}"
    with pytest.raises(InvalidInput) as unknown:
        endpoint(events=["envelope.exploded", "envelope.burnt"])
    assert unknown.value.detail == f"unknown events envelope.burnt, envelope.exploded; known: {known}"


def test_a_registered_endpoint_keeps_its_description_trimmed_and_when_it_was_made():
    hook = endpoint(description="  Billing system  ")
    assert (hook.description, hook.created_at, hook.url) == ("Billing system", NOW, "https://hooks.example.com/undersign")
    with pytest.raises(InvalidInput, match="^a webhook description has at most 200 characters$"):
        endpoint(description="x" * 201)


def test_an_attempt_keeps_when_what_went_wrong_and_how_long_it_took():
    delivery = WebhookDelivery(id="msg_1", tenant_id="t1", endpoint_id="w1", event_type="envelope.sealed",
                               payload={}, created_at=NOW)
    at = NOW + timedelta(seconds=5)
    attempt = delivery.record_attempt(at=at, status_code=None, error="connection refused", duration_ms=17)
    assert delivery.attempts == [
        DeliveryAttempt(number=1, at=at, status_code=None, error="connection refused", duration_ms=17)
    ] and attempt is delivery.attempts[0]
