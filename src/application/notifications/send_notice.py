"""Emails to recipients: one job per recipient and event, rendered from templates, sent over SMTP.

An invitation or reminder carries a fresh signing link, issued when the mail is sent and
only if it is still the recipient's turn: a queued invitation for an envelope that was
voided meanwhile sends nothing. The completed copy attaches the sealed documents when
they fit in a mail. Sending is at least once: a job that dies after the mail server took
the message sends it again, under the same Message-ID, unless it carries a link: a new
emailed link revokes the recipient's earlier emailed ones, so that mail goes out under a
Message-ID of its own (a mail client folding it into the first would keep the dead link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from undersign.application.envelopes.signing_links import CreateSigningLinkHandler, IssuedLink
from undersign.application.notifications.ports import Notice, NoticeKind, NoticeTemplates
from undersign.application.shared.jobs import JobPayload
from undersign.application.shared.loading import require_envelope
from undersign.application.shared.messages import Attachment, EmailMessage, Mailer
from undersign.application.shared.revisions import revision_bytes
from undersign.application.shared.unit_of_work import UnitOfWork, UnitOfWorkFactory
from undersign.domain.document import DocumentStatus
from undersign.domain.envelope import Envelope
from undersign.domain.errors import NotFound
from undersign.domain.policy import SignerAuth
from undersign.domain.signer import Signer
from undersign.domain.signer_authentication import STRENGTH


@dataclass(frozen=True, slots=True, kw_only=True)
class SendNoticeJob(JobPayload):
    name: ClassVar[str] = "send_notice"
    tenant_id: str
    envelope_id: str
    signer_id: str
    kind: NoticeKind
    event_id: str  # the outbox message that set it off: its emails' Message-IDs are made from it

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", NoticeKind(self.kind))  # read back from a queue as a plain string


class SendNoticeHandler:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        links: CreateSigningLinkHandler,
        mailer: Mailer,
        templates: NoticeTemplates,
        *,
        public_url: str,
        max_attachment_bytes: int,
        mail_domain: str,
    ) -> None:
        self._uow, self._links, self._mailer, self._templates = uow, links, mailer, templates
        self._public_url, self._max_attachment_bytes, self._mail_domain = public_url, max_attachment_bytes, mail_domain

    async def __call__(self, job: SendNoticeJob) -> None:
        kind, link = job.kind, None
        if kind.asks_to_act:
            # Checked in the envelope's turn, and the link issued there: no signature lands between the two.
            invited = await self._links.invite(
                tenant_id=job.tenant_id, envelope_id=job.envelope_id, signer_id=job.signer_id
            )
            if invited is None:
                return  # they acted, or the envelope stopped, since the job was queued
            envelope, link = invited
        async with self._uow() as uow:
            if not kind.asks_to_act:  # an invitation has it from its turn
                envelope = await require_envelope(uow, job.tenant_id, job.envelope_id)
            tenant = await uow.tenants.get(job.tenant_id)
            if tenant is None:
                raise NotFound(f"no tenant {job.tenant_id}")
            signer = envelope.signer(job.signer_id)
            withheld = kind is NoticeKind.COMPLETED and not mailbox_reads_documents(envelope, signer)
            attached = kind is NoticeKind.COMPLETED and not withheld
            attachments = await self._attachments(uow, envelope) if attached else ()
        notice = self._notice(kind, tenant.display_name, envelope, signer, link, attachments, withheld=withheld)
        subject, text, html = self._templates.render(notice)
        await self._mailer.send(
            EmailMessage(
                sender_name=tenant.display_name, to=signer.email, subject=subject, text=text, html=html,
                message_id=self._message_id(job.event_id, signer, link),
                attachments=attachments or (),
            )
        )

    def _message_id(self, event_id: str, signer: Signer, link: IssuedLink | None) -> str:
        local = f"{event_id.replace(':', '.')}.{signer.id}" + (f".{link.id}" if link else "")
        return f"<{local}@{self._mail_domain}>"

    def _notice(
        self, kind: NoticeKind, sender_name: str, envelope: Envelope, signer: Signer,
        link: IssuedLink | None, attachments: tuple[Attachment, ...] | None, *, withheld: bool,
    ) -> Notice:
        decliner = next((s for s in envelope.signers if s.decline_reason is not None), None)
        reason = envelope.voided_reason if kind is NoticeKind.VOIDED else None
        if kind is NoticeKind.DECLINED and decliner is not None:
            reason = decliner.decline_reason
        return Notice(
            kind=kind, sender_name=sender_name, recipient_name=signer.name, subject=envelope.subject,
            message=envelope.message,
            signing_url=f"{self._public_url}/sign/{link.token}" if link else None,
            reason=reason,
            declined_by=decliner.name if decliner else None,
            expires_at=link.expires_at if link else envelope.expires_at,
            documents=tuple(a.filename for a in attachments or ()),
            documents_too_large=kind is NoticeKind.COMPLETED and attachments is None,
            documents_withheld=withheld,
        )

    async def _attachments(self, uow: UnitOfWork, envelope: Envelope) -> tuple[Attachment, ...] | None:
        """The sealed documents, or None when together they are larger than a mail should carry."""
        documents = [d for d in await uow.documents.for_envelope(envelope.tenant_id, envelope.id)
                     if d.status is not DocumentStatus.ACTIVE]
        if sum(d.current.size for d in documents) > self._max_attachment_bytes:
            return None
        return tuple([
            Attachment(filename=d.filename, content=await revision_bytes(uow.blobs, d.current)) for d in documents
        ])


def mailbox_reads_documents(envelope: Envelope, signer: Signer) -> bool:
    """Whether the signed documents may go to the recipient's mailbox: not when their link asks them to prove
    more than that they read it (an SMS code, an access code, a sign-in), or the mail would hand over what
    that check keeps back."""
    return STRENGTH[envelope.auth_method_of(signer.id)] <= STRENGTH[SignerAuth.EMAIL_OTP]
