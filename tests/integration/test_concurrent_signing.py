"""Twenty parallel signers of one envelope signing at the same moment, over HTTP, on each engine.

All but one of them lose every round to the optimistic version check (or to the server's
locks), and retry from fresh state; in the end every signature must be in the PDF exactly
once, the envelope completed and sealed exactly once, and its audit chain intact.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.e2e import api
from tests.pdf_checks import pdfsig_report
from tests.servers import empty_database
from tests.stack import Stack, serve, settings_for
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.application.signing import sign as sign_use_case

SIGNERS = 20
T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    async with empty_database(request.param, request, data_dir) as url:
        async with serve(settings_for(data_dir, UNDERSIGN_DATABASE_URL=url)) as stack:
            yield stack


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many attempts each signing took (1: no conflict)."""
    counts: list[int] = []

    async def counting(attempt: Callable[[], Awaitable[T]], **options: Any) -> T:
        tries = 0

        async def counted() -> T:
            nonlocal tries
            tries += 1
            return await attempt()

        try:
            return await retry_on_conflict(counted, **options)
        finally:
            counts.append(tries)

    monkeypatch.setattr(sign_use_case, "retry_on_conflict", counting)
    return counts


async def sign(stack: Stack, token: str, text: str) -> tuple[int, Any]:
    body = {"signature": {"kind": "typed", "text": text}, "consent": True}
    response = await stack.client.post(f"/v1/signing/{token}/sign", json=body)
    return response.status_code, response.json()


async def test_twenty_parallel_signers_at_once_each_land_once_and_the_envelope_completes_once(
    stack: Stack, attempts: list[int]
) -> None:
    envelope_id, document_id = await api.create_envelope(stack, routing="parallel", pages=2)
    signers = [await api.add_signer(stack, envelope_id, f"Signer {n}") for n in range(SIGNERS)]
    for n, signer in enumerate(signers):  # two columns of ten per page
        page, row, column = 1 + n // 10, n % 10 // 2, n % 2
        await api.place(stack, envelope_id, document_id, signer, "signature", page, 60 + column * 250, 80 + row * 140)
    await api.send(stack, envelope_id)
    tokens = [await api.signing_token(stack, envelope_id, s) for s in signers]

    started = time.monotonic()
    everyone = asyncio.gather(*(sign(stack, token, f"Signer {n}") for n, token in enumerate(tokens)))
    responses = await asyncio.wait_for(everyone, timeout=300)
    elapsed = time.monotonic() - started
    print(
        f"\n{SIGNERS} signers in {elapsed:.1f} s; attempts per signing: max {max(attempts)}, "
        f"mean {statistics.mean(attempts):.1f}, conflicts {sum(attempts) - len(attempts)}, {sorted(attempts)}"
    )

    assert [status for status, _ in responses] == [200] * SIGNERS, [body for status, body in responses if status != 200]
    assert all(body["signer"]["status"] == "signed" for _, body in responses)
    assert sum(body["envelope_status"] == "completed" for _, body in responses) == 1
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope["status"] == "completed"
    await api.until_sealed(stack, envelope_id)  # the seal is a background job after the last signature
    report = pdfsig_report(await api.final_pdf(stack, envelope_id, document_id), expected=SIGNERS + 1)
    assert all(s.valid for s in report), report
    assert len({s.field_name for s in report}) == SIGNERS + 1
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    types = [e["type"] for e in audit["events"]]
    assert types.count("SignerSigned") == SIGNERS
    assert sorted(e["actor"] for e in audit["events"] if e["type"] == "SignerSigned") == sorted(
        f"signer:{s}" for s in signers
    )
    assert types.count("EnvelopeCompleted") == 1 and types.count("DocumentSealed") == 1
    assert audit["chain_valid"] is True
    assert [e["seq"] for e in audit["events"]] == list(range(1, len(types) + 1))
