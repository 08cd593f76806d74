"""A recipient signs (or approves): their fields are filled and their PAdES signature added.

When they are the last recipient the envelope completes; the platform's seal follows as a
background job (application.signing.seal), so the last signature does not wait for it.

Signers of one envelope take turns (application.shared.envelope_turns.EnvelopeTurns: in this
process, and across processes by the envelope's row lock). The version check on save stays as the
safety net, and a lost race is still retried from fresh state.

Safe to retry: a signature sent again after it was made (its answer lost to a dropped
connection or a dead process) is answered as the first was, and recorded once; another act
from the same recipient after it is refused (409 already_signed, or already_declined).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.jobs import JobQueue
from undersign.application.shared.loading import require_open_link, require_signing_link
from undersign.application.shared.pdf import PdfSigner, SignatureRequest
from undersign.application.shared.ports import Clock, IdGenerator
from undersign.application.shared.revisions import revision_file, store_revision_file
from undersign.application.shared.signature_images import check_signature_image
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.application.signing.seal import seal_job
from undersign.application.signing.sessions import SigningSession
from undersign.application.signing.signer_authentication import (
    SignerPass,
    evidence_method,
    require_passed,
)
from undersign.domain.document import RevisionKind
from undersign.domain.envelope import Envelope, EnvelopeStatus, FieldValue
from undersign.domain.errors import InvalidInput
from undersign.domain.signer import SigningEvidence

MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True, kw_only=True)
class Sign:
    token: str
    field_values: dict[str, FieldValue]
    signature_text: str
    consent: bool
    ip: str | None = None
    user_agent: str | None = None
    signer_pass: SignerPass | None = None  # what the recipient passed, when their link asks for more than itself
    signature_image: bytes | None = None  # a PNG they drew or uploaded, drawn in their signature fields


class SignHandler:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, pdf: PdfSigner, *, turns: EnvelopeTurns,
        jobs: JobQueue,
    ) -> None:
        self._uow, self._clock, self._ids, self._pdf, self._turns = uow, clock, ids, pdf, turns
        self._jobs = jobs

    async def __call__(self, command: Sign) -> SigningSession:
        """What the recipient sees once they signed, from the state the signature was made in (read once)."""
        if command.consent is not True:
            raise InvalidInput("signing needs the recipient's consent to sign electronically")
        if command.signature_image is not None:
            check_signature_image(command.signature_image)  # cheap and before anything: the adapter decodes it
        async with self._uow() as uow:
            link = await require_signing_link(uow, command.token, self._clock.now())
        session, signed_now = await retry_on_conflict(lambda: self._sign(command, link.tenant_id, link.envelope_id))
        if signed_now and session.envelope.status is EnvelopeStatus.COMPLETED:
            await self._queue_seal(session.envelope)
        return session

    async def _queue_seal(self, envelope: Envelope) -> None:
        """Queue the seal now rather than when the dispatcher reaches EnvelopeCompleted in the outbox (which
        queues the same job, by its id, and so adds nothing): the seal starts a dispatch round sooner. The
        signature is made either way: a queue that does not answer leaves the seal to the dispatcher."""
        try:
            await self._jobs.enqueue([seal_job(envelope.tenant_id, envelope.id)])
        except ServiceUnavailable:
            pass

    async def _sign(self, command: Sign, tenant_id: str, envelope_id: str) -> tuple[SigningSession, bool]:
        """What the recipient sees now, and whether this call made the signature (False: a retry of one made already)."""
        # The turn is taken per attempt, so a retry's pause holds nobody up.
        async with self._turns.hold(tenant_id, envelope_id) as uow:
            now = self._clock.now()
            link, envelope = await require_open_link(uow, command.token, now)
            authentication = require_passed(envelope, link, command.signer_pass, now)
            documents = await uow.documents.for_envelope(envelope.tenant_id, envelope.id)
            if envelope.repeats_signature(signer_id=link.signer_id, signature_text=command.signature_text):
                # A retry of a signature made already (its answer was lost): recorded once.
                return SigningSession.through(link, envelope, documents, authentication), False
            values = envelope.resolve_field_values(
                signer_id=link.signer_id, values=command.field_values,
                signature_text=command.signature_text, now=now,
            )
            signer = envelope.signer(link.signer_id)
            level = envelope.signature_level
            serials = []
            for document in documents:
                fields = [replace(f, value=values[f.id]) for f in envelope.fields_of(signer.id, document.id)]
                request = SignatureRequest(
                    signer_id=signer.id, name=signer.name, email=signer.email,
                    signature_text=command.signature_text.strip(), fields=fields, at=now, level=level,
                    signature_image=command.signature_image,
                )
                async with revision_file(uow.blobs, document.current) as source, uow.blobs.scratch_file() as signed:
                    serials.append(await self._pdf.sign(source, signed, request))
                    await store_revision_file(uow, self._ids, document, signed, kind=RevisionKind.SIGNED, now=now, signer_id=signer.id)
            evidence = SigningEvidence(
                at=now, ip=command.ip, user_agent=(command.user_agent or "")[:MAX_USER_AGENT] or None, auth_method=evidence_method(link, authentication),
                signature_text=command.signature_text.strip(),
                consent_text=envelope.policy.consent_text if envelope.policy else "",
                certificate_serials=tuple(serials),
            )
            envelope.sign(signer_id=signer.id, field_values=values, evidence=evidence, actor=f"signer:{signer.id}")
            await uow.envelopes.save(envelope)
            for document in documents:
                await uow.documents.save(document)
            await uow.commit()
        return SigningSession.through(link, envelope, documents, authentication), True
