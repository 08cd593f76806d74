"""How many SQL statements the small requests cost, through the HTTP app on SQLite (bench/server_cost.py
measures the whole envelope).

A statement count is deterministic: these budgets are exact ceilings, not timings. The API
key's read is left out of them: a process reads a key at most once a second (api_keys.KEY_FRESH_FOR),
so a client's requests share it, and whether a given request pays it depends on the clock.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.e2e import api
from tests.stack import Stack, serve, settings_for

# Statements are counted in the request's own context only: the background loops of the
# embedded job runner poll the same database meanwhile, in contexts of their own.
_counted: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counted", default=None)


@pytest.fixture
async def stack(tmp_path: Path):
    async with serve(settings_for(tmp_path / "data")) as stack:
        yield stack


@pytest.fixture(autouse=True)
def statement_listener() -> Iterator[None]:
    def count(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if (statements := _counted.get()) is not None:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield
    event.remove(Engine, "before_cursor_execute", count)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements of the block's requests, but the API key's read."""
    issued: list[str] = []
    token = _counted.set(issued)
    try:
        yield issued
    finally:
        _counted.reset(token)
        issued[:] = [s for s in issued if "FROM api_keys" not in s]


async def draft_with_signer(stack: Stack) -> tuple[str, str, str]:
    envelope_id, document_id = await api.create_envelope(stack)
    return envelope_id, document_id, await api.add_signer(stack, envelope_id, "Ada Lovelace")


async def test_reading_an_envelope_costs_two_statements(stack: Stack) -> None:
    envelope_id, _, _ = await draft_with_signer(stack)

    with statements() as issued:
        response = await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)

    assert response.status_code == 200, response.text
    assert 0 < len(issued) <= 2, issued  # the envelope with its signers and fields; its documents


async def test_adding_a_recipient_costs_four_statements(stack: Stack) -> None:
    envelope_id, document_id, ada = await draft_with_signer(stack)
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)

    with statements() as issued:
        await api.add_signer(stack, envelope_id, "Bob Babbage")

    # The envelope; its version; the recipient; the audit entry (SignerAdded is not published: no outbox message).
    assert 0 < len(issued) <= 4, issued
    assert not [s for s in issued if s.startswith(("UPDATE signers", "UPDATE fields"))], issued


async def test_placing_a_field_costs_five_statements(stack: Stack) -> None:
    envelope_id, document_id, ada = await draft_with_signer(stack)
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)

    with statements() as issued:
        await api.place(stack, envelope_id, document_id, ada, "initials", 1, 72, 700)

    # The envelope; the document (its page count); its version; the field; the audit entry.
    assert 0 < len(issued) <= 5, issued
    assert not [s for s in issued if s.startswith(("UPDATE signers", "UPDATE fields"))], issued


async def test_the_budgets_do_not_grow_with_the_envelope(stack: Stack) -> None:
    envelope_id, document_id, ada = await draft_with_signer(stack)
    signers = [ada] + [await api.add_signer(stack, envelope_id, f"Signer {n}") for n in range(4)]
    for n, signer in enumerate(signers):
        await api.place(stack, envelope_id, document_id, signer, "signature", 1, 72, 100 + 60 * n)

    with statements() as reading:
        await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)
    with statements() as adding:
        await api.add_signer(stack, envelope_id, "Eve")
    with statements() as placing:
        await api.place(stack, envelope_id, document_id, ada, "text", 2, 72, 100)

    counts = {"read": len(reading), "add a recipient": len(adding), "place a field": len(placing)}
    assert counts == {"read": 2, "add a recipient": 4, "place a field": 5}, (reading, adding, placing)


async def test_sending_costs_eight_statements_and_answers_from_what_it_wrote(stack: Stack) -> None:
    envelope_id, document_id, ada = await draft_with_signer(stack)
    await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)

    with statements() as issued:
        response = await stack.client.post(f"/v1/envelopes/{envelope_id}/send", headers=stack.headers)

    # The envelope, its policy, its documents; the prepared revision, the envelope, its recipient, the
    # audit entry, the outbox: 8. Reading the envelope and its documents again for the answer cost 10.
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "sent" and response.json()["documents"][0]["id"] == document_id
    assert 0 < len(issued) <= 8, issued


async def test_a_signature_reads_its_envelope_once_and_answers_from_what_it_read(stack: Stack) -> None:
    envelope_id, document_id, ada = await draft_with_signer(stack)
    bob = await api.add_signer(stack, envelope_id, "Bob Babbage")
    for n, signer in enumerate((ada, bob)):
        await api.place(stack, envelope_id, document_id, signer, "signature", 1, 72, 600 + 60 * n)
    await api.send(stack, envelope_id)
    await invited(stack, envelope_id, ada)  # else the invitation's own write races the signature, which then retries
    token = await api.signing_token(stack, envelope_id, ada)

    with statements() as issued:
        answer = await api.sign(stack, token, "Ada Lovelace")

    # The link; the envelope's turn; the link again and the envelope, in the turn; the documents; then
    # the envelope's version, the recipient, the field, the signed revision, the audit entry, the outbox:
    # 11. A background write that lands first (the dispatcher's, after the invitation) makes the
    # signature try again from fresh state, which reads those five again: 16. Answering by opening the
    # session anew, as before, cost 20 without a retry.
    assert answer["signer"]["status"] == "signed" and answer["documents"][0]["id"] == document_id
    assert 0 < len(issued) <= 16, issued


async def invited(stack: Stack, envelope_id: str, signer_id: str) -> None:
    """Once the background job has invited the recipient (and written the envelope to say so)."""
    for _ in range(300):
        envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
        if any(s["id"] == signer_id and s["status"] == "notified" for s in envelope["signers"]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{signer_id} was not invited within 30 s")
