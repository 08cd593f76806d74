"""Steps for the certificate of completion, and for a time-stamping authority that does not answer (on fakes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.background_steps import settle
from tests.bdd.steps.lifecycle_steps import World, attempt, audit_types
from tests.fakes.system import contents
from undersign.application.shared.errors import TimestampUnavailable
from undersign.domain.document import RevisionKind

# What the real signer (adapters.signing.pdf_signer) says when no authority answers.
NO_TSA = "no time-stamping authority answered (2 tried), so nothing was signed; try again later"


@dataclass
class Seals:
    """Each try of the platform's seal, as the time-stamping authority answered it: True when it was applied."""

    tries: list[bool] = field(default_factory=list)


@pytest.fixture
def seals() -> Seals:
    return Seals()


# -- the certificate of completion -------------------------------------------------------------


@when("the sender asks for the certificate of completion")
def asks_for_certificate(world: World, run) -> None:
    settle(world, run)
    attempt(world, run, world.platform.completion_certificates.download(world.caller, world.envelope_id))


@then("the certificate of completion was made once, after the seal")
def made_once_after_seal(world: World, run) -> None:
    settle(world, run)
    types = audit_types(world, run)
    assert types.count("EnvelopeSealed") == 1 and types.count("CompletionCertificateMade") == 1, types
    assert types.index("EnvelopeSealed") < types.index("CompletionCertificateMade"), types
    assert len(world.platform.certificate_renderer.rendered) == 1


@then(parsers.parse(
    'it names "{first}" and then "{second}", each as having signed, with the documents as they left them'
))
def names_every_signer(world: World, run, first: str, second: str) -> None:
    (certificate,) = world.platform.certificate_renderer.rendered
    _, documents = run(world.platform.envelope_queries.get(world.caller, world.envelope_id))
    assert [(r.name, r.status) for r in certificate.recipients] == [(first, "signed"), (second, "signed")]
    for recipient, name in zip(certificate.recipients, (first, second), strict=True):
        signer_id = world.signers[name]
        revisions = [r for d in documents for r in d.revisions]
        left = [r.sha256 for r in revisions if r.kind is RevisionKind.SIGNED and r.signer_id == signer_id]
        assert recipient.acted_at is not None and [r.after_sha256 for r in recipient.revisions] == left != []
    assert [d.final_sha256 for d in certificate.documents] == [d.current.sha256 for d in documents]


@then("every download of it gives the same bytes, those whose fingerprint the audit trail records")
def same_bytes_every_time(world: World, run) -> None:
    first = run(world.platform.completion_certificates.download(world.caller, world.envelope_id))
    again = run(world.platform.completion_certificates.download(world.caller, world.envelope_id))
    pdf, pdf_again = run(contents(first)), run(contents(again))
    trail = run(world.platform.envelope_queries.audit_trail(world.caller, world.envelope_id))
    (made,) = [e for e in trail.entries if e.type == "CompletionCertificateMade"]
    assert pdf and pdf == pdf_again
    assert hashlib.sha256(pdf).hexdigest() == first.sha256 == again.sha256 == made.data["sha256"]
    assert len(world.platform.certificate_renderer.rendered) == 1  # served from what was kept, not made again


# -- a time-stamping authority that does not answer --------------------------------------------


@given("no time-stamping authority answers")
def no_tsa(world: World) -> None:
    world.platform.pdf_signer.failure = TimestampUnavailable(NO_TSA)


@when("a time-stamping authority answers again")
def tsa_back(world: World) -> None:
    world.platform.pdf_signer.failure = None


@given(parsers.parse("the time-stamping authority does not answer the platform's first {count:d} tries to seal"))
def tsa_down_for_seal(world: World, seals: Seals, count: int) -> None:
    signer = world.platform.pdf_signer
    seal = signer.seal

    async def flaky_seal(source: str, output: str, level) -> None:
        if len(seals.tries) < count:
            seals.tries.append(False)
            raise TimestampUnavailable(NO_TSA)
        await seal(source, output, level)
        seals.tries.append(True)

    signer.seal = flaky_seal  # the use cases hold this signer: its seal is the one they call


@then(parsers.parse('"{name}" is asked to try again in a moment'))
def asked_to_retry(world: World, name: str) -> None:
    assert isinstance(world.error, TimestampUnavailable), world.error
    assert world.error.code == "timestamp_unavailable" and world.error.retry_after_seconds > 0


@then(parsers.parse("the seal failed {count:d} times before it was applied, and nothing was given up"))
def seal_retried(world: World, run, seals: Seals, count: int) -> None:
    settle(world, run)
    # The tries after the document's seal are the certificate of completion's own seal.
    assert seals.tries[: count + 1] == [False] * count + [True], seals.tries
    assert run(world.platform.dead_letters.list()) == []
