"""The stack the edge tests drive, in a portal's event loop for a whole test module (so that
Hypothesis, which runs sync tests, can drive it), and what every answer must be.

Resources a successful request uses up (a voided draft, a signed link) are made anew on the
next request that needs one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from tests.e2e import api
from tests.stack import Stack, serve, settings_for

PROBLEM_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# --- the stack, in a portal's event loop -----------------------------------------------


@dataclass
class Http:
    portal: BlockingPortal
    stack: Stack
    # Resources made on demand and replaced when a request used them up (see `resource`).
    resources: dict[str, dict[str, str]] = field(default_factory=dict)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.portal.call(partial(self.stack.client.request, method, url, **kwargs))

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        return self.portal.call(function, self.stack, *args)

    def resource(self, kind: str) -> dict[str, str]:
        if kind not in self.resources:
            self.resources[kind] = self.run(RESOURCES[kind])
        return self.resources[kind]

    def used_up(self, kind: str) -> None:
        self.resources.pop(kind, None)


async def _draft(stack: Stack) -> dict[str, str]:
    envelope = await api.post(stack, "/v1/envelopes", {"subject": "Edges"})
    return {"envelope_id": envelope["id"]}


async def _draft_with_document_and_signer(stack: Stack) -> dict[str, str]:
    envelope_id, document_id = await api.create_envelope(stack)
    signer_id = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    return {"envelope_id": envelope_id, "document_id": document_id, "signer_id": signer_id}


async def _signing_link(stack: Stack) -> dict[str, str]:
    envelope_id, document_id = await api.create_envelope(stack)
    signer_id = await api.add_signer(stack, envelope_id, "Ada Lovelace")
    field_id = await api.place(stack, envelope_id, document_id, signer_id, "text", 1, 72, 500)
    await api.place(stack, envelope_id, document_id, signer_id, "signature", 1, 72, 600)
    await api.send(stack, envelope_id)
    token = await api.signing_token(stack, envelope_id, signer_id)
    return {"envelope_id": envelope_id, "token": token, "field_id": field_id}


async def _webhook(stack: Stack) -> dict[str, str]:
    webhook = await api.post(stack, "/v1/webhooks", {"url": "https://93.184.215.14/hooks", "events": ["envelope.expired"]})
    return {"webhook_id": webhook["id"]}


RESOURCES: dict[str, Callable[[Stack], Any]] = {
    "draft": _draft,
    "draft+": _draft_with_document_and_signer,
    "link": _signing_link,
    "webhook": _webhook,
}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Http]:
    # Throttling off: the edges make many failed requests from one address on purpose.
    settings = settings_for(
        tmp_path_factory.mktemp("edges") / "data",
        UNDERSIGN_THROTTLE_AUTH_FAILURES="0", UNDERSIGN_THROTTLE_TOKEN_FAILURES="0",
    )
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(serve(settings)) as stack:
        yield Http(portal, stack)


# --- what every answer must be -----------------------------------------------------------


def assert_answered(response: httpx.Response, what: str) -> None:
    """A 2xx, or a 4xx problem with a stable code; never a server error."""
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/problem+json"), (what, response.headers)
        problem = response.json()
        assert problem["status"] == response.status_code, (what, problem)
        assert PROBLEM_CODE.match(problem["code"]) and problem["type"] == f"urn:undersign:problem:{problem['code']}", (what, problem)


def assert_refused(response: httpx.Response, what: str) -> None:
    assert_answered(response, what)
    assert 400 <= response.status_code < 500, f"{what} was accepted: {response.status_code} {response.text[:300]}"


def failures(checks: Iterator[tuple[str, Callable[[], None]]]) -> list[str]:
    """Every check run; the messages of those that failed (a sweep reports them all at once)."""
    failed = []
    for what, check in checks:
        try:
            check()
        except AssertionError as error:
            failed.append(f"{what}: {str(error)[:400]}")
    return failed


def sampled_when_costly(values: list[Any], must_refuse: Callable[[Any], bool], costly: bool = True) -> list[Any]:
    """All the values that must be refused; of those that may be taken, every fourth when taking
    one uses a resource up (a signature made, an envelope declined: each costs a new one)."""
    if not costly:
        return values
    kept, taken = [], 0
    for value in values:
        if must_refuse(value):
            kept.append(value)
        else:
            if taken % 4 == 0:
                kept.append(value)
            taken += 1
    return kept


def with_query(path: str, query: dict[str, str]) -> str:
    """`path?query`, percent-encoding each value's UTF-8 (a lone surrogate's too: invalid UTF-8 on the wire)."""
    return path + "?" + "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in query.items())
