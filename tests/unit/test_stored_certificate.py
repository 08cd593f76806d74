"""The certificate of completion made once, when the envelope is sealed, and served as stored."""

import asyncio
import hashlib

import pytest

from tests.fakes.envelopes import FakeDocuments
from tests.fakes.system import contents
from tests.unit.flows import completed, envelope_with, link, sign
from tests.unit.spying import envelopes_asked
from undersign.application.background.dispatch import certificate_job
from undersign.application.envelopes.send import SendEnvelope
from undersign.application.evidence.stored_certificate import CompletionCertificateMaker, MakeCompletionCertificateJob
from undersign.application.signing.seal import SealEnvelopeJob
from undersign.domain.errors import InvalidState, NotFound
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.http.etags import held_tags


def made_events(platform, envelope_id):
    return [e for e in platform.db.audit[envelope_id] if e.type == "CompletionCertificateMade"]


async def sealed_without_certificate(platform, caller) -> str:
    """An envelope sealed as before certificates were stored: the seal ran, the certificate job never did."""
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    await platform.seal_envelope(SealEnvelopeJob(tenant_id=caller.tenant_id, envelope_id=envelope_id))
    return envelope_id


async def test_the_seal_makes_the_certificate_once_and_records_its_hash_after_the_seal(platform, caller):
    envelope_id, _ = await completed(platform, caller)

    stored = platform.db.envelopes[envelope_id].completion_certificate
    assert stored is not None and stored.blob_key.startswith(f"{caller.tenant_id}/envelopes/{envelope_id}/")
    pdf = platform.blob_store.blobs[stored.blob_key]
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest() and stored.size == len(pdf)
    (event,) = made_events(platform, envelope_id)
    assert event.data == {"blob_key": stored.blob_key, "sha256": stored.sha256, "size": stored.size}
    types = [e.type for e in platform.db.audit[envelope_id]]
    assert types.index("EnvelopeSealed") < types.index("CompletionCertificateMade")
    # It shows the audit trail up to the seal: the event of its own making comes after it.
    (certificate,) = platform.certificate_renderer.rendered
    assert certificate.audit[-1].type == "EnvelopeSealed"
    assert platform.pdf_signer.calls.count("seal") == 2  # the document, then the certificate


async def test_every_download_serves_the_stored_bytes(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    stored = platform.db.envelopes[envelope_id].completion_certificate

    first = await platform.completion_certificates.download(caller, envelope_id)
    second = await platform.completion_certificates.download(caller, envelope_id)

    assert first == second and first.sha256 == stored.sha256
    assert await contents(first) == platform.blob_store.blobs[stored.blob_key]
    assert len(platform.certificate_renderer.rendered) == 1


async def test_the_job_run_again_makes_nothing_twice(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    job = MakeCompletionCertificateJob(tenant_id=caller.tenant_id, envelope_id=envelope_id)

    await platform.make_completion_certificate(job)
    await asyncio.gather(platform.make_completion_certificate(job), platform.make_completion_certificate(job))

    assert len(made_events(platform, envelope_id)) == 1 and len(platform.certificate_renderer.rendered) == 1


async def test_the_job_leaves_an_envelope_that_is_not_sealed_alone(platform, caller):
    envelope_id, _, _ = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))

    await platform.make_completion_certificate(MakeCompletionCertificateJob(tenant_id=caller.tenant_id, envelope_id=envelope_id))

    assert platform.db.envelopes[envelope_id].completion_certificate is None and made_events(platform, envelope_id) == []


async def test_an_envelope_sealed_before_certificates_were_stored_gets_one_at_its_first_download(platform, caller):
    envelope_id = await sealed_without_certificate(platform, caller)
    assert platform.db.envelopes[envelope_id].completion_certificate is None

    first = await platform.completion_certificates.download(caller, envelope_id)
    second = await platform.completion_certificates.download(caller, envelope_id)

    assert first == second and len(platform.certificate_renderer.rendered) == 1
    (event,) = made_events(platform, envelope_id)
    assert event.data["sha256"] == first.sha256 == hashlib.sha256(await contents(first)).hexdigest()


async def test_two_first_downloads_at_once_make_one_certificate(platform, caller):
    envelope_id = await sealed_without_certificate(platform, caller)
    render = platform.certificate_renderer.render

    async def slow_render(certificate):
        await asyncio.sleep(0.01)  # the second download arrives while the first renders
        return await render(certificate)

    platform.certificate_renderer.render = slow_render
    first, second = await asyncio.gather(
        platform.completion_certificates.download(caller, envelope_id),
        platform.completion_certificates.download(caller, envelope_id),
    )

    assert first == second and len(made_events(platform, envelope_id)) == 1
    assert len(platform.certificate_renderer.rendered) == 1  # the second waited for the first, and served its certificate


async def test_makers_in_two_processes_at_once_store_one_certificate(platform, caller):
    envelope_id = await sealed_without_certificate(platform, caller)
    render = platform.certificate_renderer.render

    async def slow_render(certificate):
        await asyncio.sleep(0)  # both render before either stores
        return await render(certificate)

    platform.certificate_renderer.render = slow_render
    other_process = CompletionCertificateMaker(
        platform.unit_of_work, platform.clock, platform.ids, platform.certificate_renderer, platform.pdf_signer
    )
    first, second = await asyncio.gather(
        platform.make_completion_certificate.made(caller.tenant_id, envelope_id),
        other_process.made(caller.tenant_id, envelope_id),
    )

    assert first == second and len(made_events(platform, envelope_id)) == 1
    assert len(platform.certificate_renderer.rendered) == 2  # both made one; one was stored
    stored = platform.db.envelopes[envelope_id].completion_certificate
    # The loser's blob went with its rolled-back unit of work: only the stored one is kept.
    assert [k for k in platform.blob_store.blobs if "/certificate-of-completion-" in k] == [stored.blob_key]


async def test_no_certificate_until_the_envelope_is_completed_and_sealed(platform, caller):
    envelope_id, _, (ada,) = await envelope_with(platform, caller, "Ada")
    await platform.send_envelope(SendEnvelope(caller=caller, envelope_id=envelope_id))
    with pytest.raises(InvalidState, match="completed"):
        await platform.completion_certificates.download(caller, envelope_id)

    await platform.sign(sign(await link(platform, caller, envelope_id, ada)))
    with pytest.raises(InvalidState, match="being sealed"):
        await platform.completion_certificates.download(caller, envelope_id)
    assert platform.certificate_renderer.rendered == []


async def test_only_those_who_see_the_envelope_get_its_certificate(platform, caller):
    envelope_id = await sealed_without_certificate(platform, caller)
    await platform.tenants.create("other")
    stranger = await platform.tenants.authenticate((await platform.tenants.create_api_key("other", AccessRole.ADMIN)).key)
    # A sender sees the envelopes it made (and its team's), not another sender's.
    other_sender = await platform.tenants.authenticate(
        (await platform.tenants.create_api_key("acme", AccessRole.SENDER)).key
    )

    for who in (stranger, other_sender):
        with pytest.raises(NotFound):
            await platform.completion_certificates.download(who, envelope_id)
    # Refused before anything is made for them.
    assert platform.certificate_renderer.rendered == [] and made_events(platform, envelope_id) == []


def test_the_certificate_job_follows_the_seal_under_one_id_per_envelope():
    job = certificate_job("t", "env_1")
    assert job.id == "certificate:env_1" and MakeCompletionCertificateJob.of(job) == MakeCompletionCertificateJob(
        tenant_id="t", envelope_id="env_1"
    )


async def test_an_envelope_has_one_certificate_of_completion_and_never_another(platform, caller):
    envelope_id, _ = await completed(platform, caller)
    envelope = platform.db.envelopes[envelope_id]

    with pytest.raises(InvalidState, match="already made"):
        envelope.record_completion_certificate(envelope.completion_certificate, actor="system")


@pytest.mark.parametrize(
    ("header", "held"),
    [
        (None, set()),
        ('"abc"', {"abc"}),
        ('W/"abc", "def"', {"abc", "def"}),  # If-None-Match compares weakly
        ('abc, ""', set()),  # unquoted or empty: no tag
        ('"abc", *', {"abc", "*"}),  # `*`: whatever is current
    ],
)
def test_the_tags_an_if_none_match_header_names(header, held):
    assert held_tags(header) == held


async def test_making_the_certificate_reads_the_envelopes_documents_once(platform, caller, monkeypatch):
    envelope_id = await sealed_without_certificate(platform, caller)
    reads = envelopes_asked(monkeypatch, FakeDocuments, "for_envelope")
    await platform.make_completion_certificate(MakeCompletionCertificateJob(tenant_id=caller.tenant_id, envelope_id=envelope_id))

    assert platform.db.envelopes[envelope_id].completion_certificate is not None
    assert reads == [envelope_id]  # whether it is ready and what it shows: one read
