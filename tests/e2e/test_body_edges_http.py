"""Every field of every JSON request body at its edges, over HTTP (tests/e2e/edge_values.py):
each answer a 2xx or a 4xx problem with a stable code, never a 5xx; never a 2xx for a value
of the wrong JSON type ("true" for true, "1" for 1), for text with control characters where
a person's text goes, or for an address that is not one. And bodies that are not JSON
objects at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.edge_stack import Http, assert_answered, assert_refused, failures, http, sampled_when_costly  # noqa: F401
from tests.e2e.edge_values import (
    ADDRESSES,
    EDGE_STRINGS,
    EDGES,
    STRING,
    WRONG_TYPED,
    Field,
    Raw,
    boolean,
    choice,
    deep,
    edge_strings,
    edge_values,
    json_type,
    not_an_address,
    not_one_line,
    number,
    one_line,
    text,
    to_json,
    whole_number,
)
from undersign.domain.envelope import MAX_MESSAGE_LENGTH, MAX_REASON_LENGTH, MAX_SUBJECT_LENGTH, MAX_TEXT_VALUE_LENGTH
from undersign.domain.signer import MAX_NAME_LENGTH, MAX_SIGNATURE_TEXT_LENGTH
from undersign.domain.webhook import MAX_DESCRIPTION_LENGTH

# The app's background jobs (retry jitter) use the `random` module from its own thread while
# Hypothesis draws examples here; Hypothesis takes that for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


# --- JSON bodies, field by field --------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """A JSON request: where it goes (given its resource), a valid body, and its fields."""

    name: str
    method: str
    path: Callable[[dict[str, str]], str]
    valid: Callable[[dict[str, str]], dict[str, Any]]
    fields: tuple[Field, ...]
    resource: str | None = None
    uses_up: bool = False  # a 2xx changes the resource so that the next request would mean something else
    public: bool = False  # no API key (the signing token is in the path)
    created: str | None = None  # what to DELETE after a 2xx ({id} from the answer): a tenant has at most so many


BODIES = [
    Body(
        "create envelope", "POST", lambda _: "/v1/envelopes",
        lambda _: {"subject": "Lease", "message": "Please sign", "routing": "sequential"},
        (
            one_line("subject", MAX_SUBJECT_LENGTH),
            text("message", MAX_MESSAGE_LENGTH, required=False),
            choice("routing", ("sequential", "parallel"), nullable=True),
        ),
    ),
    Body(
        "add signer", "POST", lambda r: f"/v1/envelopes/{r['envelope_id']}/signers",
        lambda _: {"name": "Ada Lovelace", "email": "ada@example.com", "role": "signer", "routing_order": 1},
        (
            one_line("name", MAX_NAME_LENGTH),
            Field("email", STRING, not_an_address, lambda: st.one_of(st.emails(), edge_values(), st.sampled_from(ADDRESSES)),
                  lambda: [*ADDRESSES, *EDGE_STRINGS, *WRONG_TYPED]),
            choice("role", ("signer", "approver", "cc")),
            whole_number("routing_order", 1, 999, nullable=True),
        ),
        resource="draft", uses_up=True,  # a draft holds at most so many recipients
    ),
    Body(
        "place field", "POST", lambda r: f"/v1/envelopes/{r['envelope_id']}/fields",
        lambda r: {
            "document_id": r["document_id"], "signer_id": r["signer_id"], "kind": "text",
            "page": 1, "x": 72, "y": 500, "width": 100, "height": 20, "required": True,
        },
        (
            Field("document_id", STRING, edges=lambda: [*EDGE_STRINGS[:40], *WRONG_TYPED]),
            Field("signer_id", STRING, edges=lambda: [*EDGE_STRINGS[:40], *WRONG_TYPED]),
            choice("kind", ("signature", "initials", "date_signed", "text", "checkbox")),
            whole_number("page", 1, 2),  # the document has two pages
            number("x", 0, 595), number("y", 0, 842),
            number("width", 0, 595, low_inclusive=False), number("height", 0, 842, low_inclusive=False),
            boolean("required"),
        ),
        resource="draft+",
    ),
    Body(
        "void", "POST", lambda r: f"/v1/envelopes/{r['envelope_id']}/void", lambda _: {"reason": "Sent by mistake"},
        (text("reason", MAX_REASON_LENGTH),), resource="draft", uses_up=True,
    ),
    Body(
        "sign", "POST", lambda r: f"/v1/signing/{r['token']}/sign",
        lambda r: {"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True, "fields": {r["field_id"]: "42"}},
        (
            # Any value here but a valid signature object is refused (the sub-fields have their own test).
            Field("signature", frozenset({"object"}), lambda v: True, edges=lambda: [*WRONG_TYPED, {"kind": "typed"}]),
            boolean("consent"),
            Field("fields", frozenset({"object"}), lambda v: True, edges=lambda: [*WRONG_TYPED, {"": "x"}, {"x": None}]),
        ),
        resource="link", uses_up=True, public=True,
    ),
    Body(
        "decline", "POST", lambda r: f"/v1/signing/{r['token']}/decline", lambda _: {"reason": "Not mine to sign"},
        (text("reason", MAX_REASON_LENGTH),), resource="link", uses_up=True, public=True,
    ),
    Body(
        "register webhook", "POST", lambda _: "/v1/webhooks",
        # envelope.expired: no test here makes one, so nothing is ever delivered to that address.
        lambda _: {"url": "https://93.184.215.14/hooks", "events": ["envelope.expired"], "description": "ERP"},
        (
            Field("url", STRING, lambda v: v in REFUSED_URLS or "://" not in v,
                  lambda: st.one_of(st.sampled_from(URLS), edge_strings().filter(_no_host_lookup)),
                  lambda: [*URLS, *filter(_no_host_lookup, EDGE_STRINGS), *WRONG_TYPED]),
            Field("events", frozenset({"array"}), lambda v: True, edges=lambda: [*WRONG_TYPED, [""], ["envelope.sent", 1]]),
            one_line("description", MAX_DESCRIPTION_LENGTH, required=False),
        ),
        created="/v1/webhooks/{id}",
    ),
]

# Hosts are IP literals or refused before any lookup: registering a host name looks it up.
# (2130706433, 0x7f000001 and 017700000001 are 127.0.0.1 to inet_aton, which getaddrinfo uses.)
REFUSED_URLS = [
    "https://93.184.215.14/" + "a" * 3000,
    "https://127.0.0.1/hooks", "http://169.254.169.254/latest/meta-data", "https://10.0.0.1/", "https://0.0.0.0/",
    "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://2130706433/", "https://0x7f000001/", "https://017700000001/",
    "https://127.1/", "https://[fe80::1]/", "https://100.64.0.1/", "https://192.168.0.1./",
    "ftp://93.184.215.14/", "javascript:alert(1)", "file:///etc/passwd", "https://", "https:///x", "//93.184.215.14/",
    "https://user:pw@93.184.215.14/", "https://93.184.215.14:99999/", "https://93.184.215.14:-1/", "https://93.184.215.14/\r\nX: y",
    "https://93.184.215.14/\x00", "https://93.184.215.14/\ud800",
]
URLS = [
    "https://93.184.215.14/hooks", "http://93.184.215.14/hooks", "https://93.184.215.14:8443/x?y=1#z",
    "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hooks", "HTTPS://93.184.215.14/", " https://93.184.215.14/ ",
    *REFUSED_URLS,
]


def _no_host_lookup(value: str) -> bool:
    return "://" not in value


def _send_json(http: Http, body: Body, resource: dict[str, str], document: Any, **headers: str) -> httpx.Response:
    content = to_json(document).encode("utf-8", "surrogatepass")
    all_headers = {"content-type": "application/json", **({} if body.public else http.stack.headers), **headers}
    return http.request(body.method, body.path(resource), content=content, headers=all_headers)


def _check_json(http: Http, body: Body, document: Any, must_refuse: bool, what: str) -> None:
    resource = http.resource(body.resource) if body.resource else {}
    response = _send_json(http, body, resource, document)
    if body.uses_up and response.status_code < 300 and body.resource:
        http.used_up(body.resource)
    if body.created and response.status_code == 201:
        http.request("DELETE", body.created.format(id=response.json()["id"]), headers=http.stack.headers)
    if must_refuse:
        assert_refused(response, what)
    else:
        assert_answered(response, what)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.name)
def test_each_field_at_each_edge_value(http: Http, body: Body) -> None:
    """Every field of the body given every one of its edge values, the rest of the body valid."""

    def checks() -> Iterator[tuple[str, Callable[[], None]]]:
        for spec in body.fields:
            for value in sampled_when_costly(spec.edges(), spec.must_refuse, costly=body.uses_up):
                what = f"{spec.name}={value!r:.120}"

                def check(spec: Field = spec, value: Any = value, what: str = what) -> None:
                    resource = http.resource(body.resource) if body.resource else {}
                    _check_json(http, body, {**body.valid(resource), spec.name: value}, spec.must_refuse(value), what)

                yield what, check

    failed = failures(checks())
    assert not failed, f"{body.name}: {len(failed)} edge values not answered as they must be:\n" + "\n".join(failed)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.name)
@EDGES
@given(data=st.data())
def test_each_field_at_random_values(http: Http, body: Body, data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from(body.fields), label="field")
    value = data.draw(spec.values(), label="value")
    resource = http.resource(body.resource) if body.resource else {}
    document = {**body.valid(resource), spec.name: value}
    _check_json(http, body, document, spec.must_refuse(value), f"{body.name}: {spec.name}={value!r:.200}")


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.name)
@EDGES
@given(data=st.data())
def test_missing_unknown_and_doubled_fields_are_refused(http: Http, body: Body, data: st.DataObject) -> None:
    resource = http.resource(body.resource) if body.resource else {}
    valid = body.valid(resource)
    change = data.draw(st.sampled_from(["missing", "unknown", "doubled"]), label="change")
    name = data.draw(st.sampled_from(sorted(valid)), label="field")
    if change == "missing":
        document: Any = {k: v for k, v in valid.items() if k != name}
        required = name in {"subject", "name", "email", "document_id", "signer_id", "kind", "page", "x", "y",
                            "width", "height", "reason", "signature", "consent", "url", "events"}
        _check_json(http, body, document, required, f"{body.name} without {name}")
    elif change == "unknown":
        extra = data.draw(st.sampled_from(["Subject", "subject ", "extra", "", "\x00", "__proto__", "constructor", "\ud800"]))
        document = {**valid, extra: data.draw(edge_values(), label="value")}
        _check_json(http, body, document, extra not in valid, f"{body.name} with an unknown field {extra!r}")
    else:
        # The same key twice: which one wins must not matter to safety; it must not be a 5xx.
        value = data.draw(edge_values(), label="value")
        text_ = to_json(valid)[:-1] + f",{json.dumps(name)}:{to_json(value)}" + "}"
        _check_json(http, body, Raw(text_), False, f"{body.name} with {name} twice")


@EDGES
@given(part=st.sampled_from(["signature.kind", "signature.text", "field value", "field id"]), value=edge_values())
def test_the_signature_and_field_values_at_random_values(http: Http, part: str, value: Any) -> None:
    body = next(b for b in BODIES if b.name == "sign")
    if part == "field id" and not isinstance(value, str):
        value = to_json(value)
    document, refuse = _signing_document(part, value, http.resource("link"))
    _check_json(http, body, document, refuse, f"sign: {part}={value!r:.200}")


def _signing_document(part: str, value: Any, resource: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """A sign request with `value` at `part`, and whether it must be refused."""
    valid = {"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True, "fields": {resource["field_id"]: "42"}}
    if part == "signature.kind":
        return {**valid, "signature": {"kind": value, "text": "Ada Lovelace"}}, value != "typed"
    if part == "signature.text":
        refuse = json_type(value) != "string" or not_one_line(value, MAX_SIGNATURE_TEXT_LENGTH)
        return {**valid, "signature": {"kind": "typed", "text": value}}, refuse
    if part == "field value":
        refuse = json_type(value) not in ("string", "boolean") or (
            isinstance(value, str) and not_one_line(value, MAX_TEXT_VALUE_LENGTH, required=False)
        )
        return {**valid, "fields": {resource["field_id"]: value}}, refuse
    # a field id: the link's only field is known
    return {**valid, "fields": {value: "42"}}, value != resource["field_id"]


def test_the_signature_and_field_values_at_each_edge_value(http: Http) -> None:
    body = next(b for b in BODIES if b.name == "sign")

    def checks() -> Iterator[tuple[str, Callable[[], None]]]:
        for part in ("signature.kind", "signature.text", "field value", "field id"):
            values = [*EDGE_STRINGS, *WRONG_TYPED] if part != "field id" else EDGE_STRINGS
            resource = {"field_id": "the field"}
            for value in sampled_when_costly(values, lambda v, part=part: _signing_document(part, v, resource)[1]):
                what = f"{part}={value!r:.120}"

                def check(part: str = part, value: Any = value, what: str = what) -> None:
                    document, refuse = _signing_document(part, value, http.resource("link"))
                    _check_json(http, body, document, refuse, what)

                yield what, check

    failed = failures(checks())
    assert not failed, f"sign: {len(failed)} edge values not answered as they must be:\n" + "\n".join(failed)


@pytest.mark.parametrize("body", [b for b in BODIES if b.name == "register webhook"], ids=lambda b: b.name)
@EDGES
@given(events=st.one_of(
    st.lists(st.one_of(st.sampled_from(["envelope.sent", "envelope.completed", "ENVELOPE.SENT", "envelope.*", "*"]),
                       edge_strings()), max_size=5),
    st.lists(st.just("envelope.sent"), min_size=100, max_size=100),
    st.sampled_from([[], [None], [1], [True], [["envelope.sent"]], [{"a": 1}], deep(1000)]),
))
def test_webhook_events_at_their_edges(http: Http, body: Body, events: Any) -> None:
    known = {"envelope.sent", "envelope.completed"}
    refuse = not isinstance(events, list) or not events or not all(isinstance(e, str) and e in known for e in events)
    _check_json(http, body, {**body.valid({}), "events": events}, refuse, f"webhook events={events!r:.200}")


# --- JSON bodies that are not JSON, or not an object --------------------------------------

MALFORMED_BODIES = [
    b"", b" ", b"null", b"true", b"1", b'"x"', b"[]", b"[{}]", b"{", b"}", b"{}}", b'{"a":1} {"b":2}',
    b"{'subject': 'x'}", b'{"subject": "x",}', b'{"subject": NaN}', b'{"subject": Infinity}',
    b'{"subject": "\xff\xfe"}', b'{"subject": "\xc3\x28"}', b'{"subject": "\xed\xa0\x80"}',  # invalid UTF-8; UTF-8 of a surrogate
    b'\xef\xbb\xbf{"subject": "x"}',  # a byte order mark
    b'{"subject": "x"}\x00', b'{"subject": "\\u0000"}', b'{"subject": "\\ud800"}', b'{"subject": "\\uZZZZ"}',
    b'{"subject": "\\x41"}', b'{"subject": "a\nb"}',  # a raw line break inside a string is not JSON
    b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b"[" * 100_000,
    b'{"subject": ' + b"1" * 5000 + b"}", b'{"subject": -' + b"9" * 5000 + b"}",
    b'{"subject": "x", "subject": "y"}', b'{"\\u0000": 1}', b"\x00" * 64,
]


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.name)
def test_bodies_that_are_not_json_objects_are_refused(http: Http, body: Body) -> None:
    resource = http.resource(body.resource) if body.resource else {}
    for content in MALFORMED_BODIES:
        headers = {"content-type": "application/json", **({} if body.public else http.stack.headers)}
        response = http.request(body.method, body.path(resource), content=content, headers=headers)
        if content == b'{"subject": "x", "subject": "y"}' and body.name == "create envelope":
            assert_answered(response, f"{body.name}: {content[:80]!r}")
        else:
            assert_refused(response, f"{body.name}: {content[:80]!r}")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", "", "*/*"):
        headers = {"content-type": content_type, **({} if body.public else http.stack.headers)}
        response = http.request(body.method, body.path(resource), content=b'{"\xe9": 1}', headers=headers)
        assert_refused(response, f"{body.name} as {content_type!r}")
