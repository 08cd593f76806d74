"""Signers of one envelope take turns; signers of different envelopes do not wait for each other."""

from __future__ import annotations

import asyncio

from undersign.application.shared.envelope_turns import EnvelopeLocks


async def _hold(locks: EnvelopeLocks, envelope_id: str, log: list[str], name: str) -> None:
    async with locks.hold(envelope_id):
        log.append(f"{name} in")
        await asyncio.sleep(0.01)
        log.append(f"{name} out")


async def test_holders_of_one_envelope_go_one_after_another() -> None:
    locks, log = EnvelopeLocks(), []

    await asyncio.gather(*(_hold(locks, "env-1", log, name) for name in "abc"))

    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]


async def test_holders_of_different_envelopes_overlap() -> None:
    locks, log = EnvelopeLocks(), []

    await asyncio.gather(_hold(locks, "env-1", log, "a"), _hold(locks, "env-2", log, "b"))

    assert log[:2] == ["a in", "b in"]


async def test_an_envelope_can_be_held_again_after_an_error_inside() -> None:
    locks, log = EnvelopeLocks(), []

    try:
        async with locks.hold("env-1"):
            raise RuntimeError("signing failed")
    except RuntimeError:
        pass
    await asyncio.wait_for(_hold(locks, "env-1", log, "a"), timeout=1)

    assert log == ["a in", "a out"]


async def test_different_use_cases_take_the_same_envelopes_turn(platform, caller):
    from tests.unit.flows import envelope_with
    from undersign.application.signing.seal import SealEnvelopeJob

    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    async with platform.envelope_turns.hold(caller.tenant_id, envelope_id):  # a signature, say, holds it
        seal = asyncio.create_task(platform.seal_envelope(SealEnvelopeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id)))
        expiry = asyncio.create_task(platform.schedules._expire(caller.tenant_id, envelope_id))
        await asyncio.sleep(0.05)
        assert not seal.done() and not expiry.done()  # they wait for the same turn, not a lock of their own
    await asyncio.gather(seal, expiry)


async def test_a_link_issued_during_a_signature_waits_for_it_instead_of_costing_it_its_save(platform, caller):
    """An invitation's link (or the sender's) issued while a recipient signs: the signature is made once."""
    from tests.unit.flows import envelope_with, link, sign
    from undersign.application.envelopes.send import SendEnvelope
    from undersign.domain.policy import Routing

    envelope_id, _, (ada, bob) = await envelope_with(platform, caller, "Ada", "Bob", routing=Routing.PARALLEL)
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    ada_token = await link(platform, caller, envelope_id, ada)
    signer, issued = platform.pdf_signer, []

    async def sign_while_a_link_is_issued(source, output, request):
        issued.append(asyncio.create_task(link(platform, caller, envelope_id, bob)))
        await asyncio.sleep(0.05)  # the link's issuer runs meanwhile
        assert not issued[0].done()
        return await type(signer).sign(signer, source, output, request)

    signer.sign = sign_while_a_link_is_issued
    await platform.sign(sign(ada_token))
    bob_token = await issued[0]

    assert signer.calls.count("sign Ada") == 1  # not made again after losing its save to the link
    del signer.sign
    await platform.sign(sign(bob_token))  # the link issued after the signature works
    assert signer.calls.count("sign Bob") == 1
