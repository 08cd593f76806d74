"""Query parameters and headers at their edges, over HTTP: the envelope list's filters and
cursors, the webhook deliveries' paging, verification's `at`, Idempotency-Key and If-Match.
Each answer a 2xx or a 4xx problem with a stable code, never a 5xx; a time that is plainly
not "ISO 8601 with an offset" is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.edge_stack import Http, assert_answered, assert_refused, failures, http, with_query  # noqa: F401
from tests.e2e.edge_values import ADDRESSES, DATES, EDGES, edge_strings, not_a_moment
from tests.pdf_samples import make_pdf

# The app's background jobs (retry jitter) use the `random` module from its own thread while
# Hypothesis draws examples here; Hypothesis takes that for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


# --- query parameters: list filters, cursors, paging -------------------------------------


def _cursor(payload: Any) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSORS = [
    _cursor(["9999-12-31T23:59:59-14:00", "x"]), _cursor(["9999-12-31T23:59:59.999999Z", "x"]),
    _cursor(["0001-01-01T00:00:00+14:00", "x"]), _cursor(["0001-01-01T00:00:00Z", "x"]),
    _cursor(["2026-01-01T00:00:00", "x"]), _cursor(["2026-01-01T00:00:00Z"]), _cursor(["2026-01-01T00:00:00Z", "x", "y"]),
    _cursor(["2026-01-01T00:00:00Z", None]), _cursor(["2026-01-01T00:00:00Z", ["x"]]), _cursor([1, 2]),
    _cursor({"created_at": "2026-01-01T00:00:00Z"}), _cursor(None), _cursor("x"), _cursor(b"\xff\xfe\xfd"),
    _cursor(["2026-01-01T00:00:00Z", "\ud800"]), _cursor(["2026-01-01T00:00:00Z", "x" * 30_000]),  # about as long as a URL httpx sends
    _cursor([float("nan"), "x"]), _cursor(b"[" * 1000 + b"]" * 1000), "", "=", "====", "!!!", "a", "ab", "abc",
    "%00", "a" * 10_000, "\x00",
]


@EDGES
@given(query=st.dictionaries(
    st.sampled_from(["status", "created_after", "created_before", "signer_email", "limit", "cursor"]),
    st.one_of(st.sampled_from(DATES), st.sampled_from(CURSORS), st.sampled_from(ADDRESSES), edge_strings(),
              st.sampled_from(["draft", "sent", "DRAFT", "0", "1", "20", "100", "101", "-1", "1.5", "1e2", " 1", "0x10",
                               "١", str(2**63), str(-(2**63) - 1), "true", "null"])),
    min_size=1, max_size=3,
))
def test_the_envelope_list_at_its_edges(http: Http, query: dict[str, str]) -> None:
    response = http.request("GET", with_query("/v1/envelopes", query), headers=http.stack.headers)
    assert_answered(response, f"GET /v1/envelopes {query!r:.300}")


@pytest.mark.parametrize("name", ["created_after", "created_before"])
def test_each_date_filter_at_its_edges(http: Http, name: str) -> None:
    def checks() -> Iterator[tuple[str, Callable[[], None]]]:
        for value in DATES:
            what = f"GET /v1/envelopes?{name}={value!r}"

            def check(value: str = value, what: str = what) -> None:
                response = http.request("GET", with_query("/v1/envelopes", {name: value}), headers=http.stack.headers)
                (assert_refused if not_a_moment(value) else assert_answered)(response, what)

            yield what, check

    failed = failures(checks())
    assert not failed, f"{len(failed)} dates not answered as they must be:\n" + "\n".join(failed)


def test_each_cursor_at_its_edges(http: Http) -> None:
    for value in CURSORS:
        response = http.request("GET", with_query("/v1/envelopes", {"cursor": value}), headers=http.stack.headers)
        assert_answered(response, f"GET /v1/envelopes?cursor={value[:80]!r}")


@EDGES
@given(query=st.dictionaries(
    st.sampled_from(["limit", "cursor"]),
    st.one_of(st.sampled_from(CURSORS), edge_strings(), st.sampled_from(["0", "1", "100", "101", str(2**63), "-1", "1.0"])),
    min_size=1, max_size=2,
))
def test_the_webhook_deliveries_at_their_edges(http: Http, query: dict[str, str]) -> None:
    webhook_id = http.resource("webhook")["webhook_id"]
    response = http.request("GET", with_query(f"/v1/webhooks/{webhook_id}/deliveries", query), headers=http.stack.headers)
    assert_answered(response, f"deliveries {query!r:.300}")


def test_verification_times_at_their_edges(http: Http) -> None:
    pdf = make_pdf()

    def checks() -> Iterator[tuple[str, Callable[[], None]]]:
        for value in [*DATES[:20], "1767225600", "0.5", "2026-01-01T00:00:00", ""]:
            what = f"POST /v1/verify?at={value!r}"

            def check(value: str = value, what: str = what) -> None:
                response = http.request(
                    "POST", with_query("/v1/verify", {"at": value}), headers=http.stack.headers,
                    files={"file": ("x.pdf", pdf, "application/pdf")},
                )
                (assert_refused if not_a_moment(value) else assert_answered)(response, what)

            yield what, check

    failed = failures(checks())
    assert not failed, f"{len(failed)} times not answered as they must be:\n" + "\n".join(failed)


# --- headers: Idempotency-Key and If-Match --------------------------------------------

HEADER_VALUES = [
    "", " ", "x", "a" * 255, "a" * 256, "a" * 8000, "\t", "key with spaces", "clé".encode().decode("latin-1"),
    "\x00", "\x7f", "\x1b[0m", "\x80\xff", "*", '"', '""', 'W/"x"', "null", "-1", "🔑".encode().decode("latin-1"),
]


@EDGES
@given(key=st.one_of(st.sampled_from(HEADER_VALUES), st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=300)))
def test_idempotency_keys_at_their_edges(http: Http, key: str) -> None:
    headers = {**http.stack.headers, "idempotency-key": key.encode("latin-1")}
    first = http.request("POST", "/v1/envelopes", json={"subject": "Idempotent"}, headers=headers)
    assert_answered(first, f"Idempotency-Key {key!r:.100}")
    again = http.request("POST", "/v1/envelopes", json={"subject": "Idempotent"}, headers=headers)
    assert_answered(again, f"Idempotency-Key {key!r:.100}, again")
    if first.status_code == 201:
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


@EDGES
@given(if_match=st.one_of(
    st.sampled_from([*HEADER_VALUES, '"{id}-1"', '"{id}-0"', '"{id}-99999999999999999999999999999"', '"{id}--1"',
                     '"{id}-1", "{id}-2"', '"{id}-1",', 'W/"{id}-1"', '"{id}-١"', '"{id}-1 "', " \"{id}-1\" ",
                     '"{id}-' + "9" * 5000 + '"']),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
))
def test_if_match_at_its_edges(http: Http, if_match: str) -> None:
    envelope_id = http.resource("draft")["envelope_id"]
    value = if_match.replace("{id}", envelope_id)
    headers = {**http.stack.headers, "if-match": value.encode("latin-1")}
    response = http.request(
        "POST", f"/v1/envelopes/{envelope_id}/signers", json={"name": "Ada", "email": "ada@example.com"}, headers=headers
    )
    assert_answered(response, f"If-Match {value!r:.100}")
    if response.status_code == 201:
        http.used_up("draft")  # its version moved on
