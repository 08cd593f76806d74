"""Issue a signing link for a recipient of a sent envelope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from undersign.application.access.permissions import Caller, Permission
from undersign.application.access.visibility import require_visible_envelope
from undersign.application.shared.envelope_turns import EnvelopeTurns
from undersign.application.shared.errors import Forbidden
from undersign.application.shared.loading import hash_token, require_envelope
from undersign.application.shared.ports import Clock, IdGenerator, SecretGenerator
from undersign.application.shared.unit_of_work import UnitOfWork
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.domain.envelope import Envelope, EnvelopeStatus
from undersign.domain.signer import Signer
from undersign.domain.signing_link import LinkChannel, SigningLink
from undersign.domain.text import single_line


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSigningLink:
    caller: Caller
    envelope_id: str
    signer_id: str
    # Embedded signing: how the sender's own application authenticated the recipient, in its words.
    embedded_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedLink:
    id: str
    token: str
    expires_at: datetime


# A link that needs no check beyond itself, opened by the sender's application at once: short-lived.
EMBEDDED_LINK_TTL = timedelta(minutes=15)


class CreateSigningLinkHandler:
    """The token is returned once and only its hash is stored; each call issues a new one and
    revokes the recipient's older links (see LinkChannel.revokes for which).

    Issuing writes the envelope, so it takes the envelope's turn: a signature under way is
    waited for (a link is issued in milliseconds), not made to lose its save and be made again
    (an invitation's link issued while the previous signer signed cost that signature whole).
    """

    def __init__(
        self, turns: EnvelopeTurns, clock: Clock, ids: IdGenerator, secrets: SecretGenerator, ttl: timedelta
    ) -> None:
        self._turns, self._clock, self._ids, self._secrets, self._ttl = turns, clock, ids, secrets, ttl

    async def __call__(self, command: CreateSigningLink) -> IssuedLink:
        command.caller.require(Permission.ISSUE_SIGNING_LINKS)
        embedded_by = None
        if command.embedded_by is not None:
            embedded_by = single_line(command.embedded_by, what="how your application authenticated the recipient", max_length=200)
        caller, envelope_id, signer_id = command.caller, command.envelope_id, command.signer_id
        return await retry_on_conflict(lambda: self._issue(caller, envelope_id, signer_id, embedded_by))

    async def invite(self, *, tenant_id: str, envelope_id: str, signer_id: str) -> tuple[Envelope, IssuedLink] | None:
        """An emailed link for a recipient whose turn it is, with the envelope as it then stood; None when it is
        no longer their turn (they acted, or the envelope stopped, since their invitation was queued).

        Checked while the envelope's turn is held: no signature lands between the check and the link.
        """
        async def invite_once() -> tuple[Envelope, IssuedLink] | None:
            async with self._turns.hold(tenant_id, envelope_id) as uow:
                envelope = await require_envelope(uow, tenant_id, envelope_id)
                signer = envelope.signer(signer_id)
                if envelope.status is not EnvelopeStatus.SENT or not signer.is_active:
                    return None
                link = await self._issue_in(uow, envelope, signer, "system", LinkChannel.EMAIL, None)
            return envelope, link

        return await retry_on_conflict(invite_once)

    async def _issue(self, caller: Caller, envelope_id: str, signer_id: str, embedded_by: str | None) -> IssuedLink:
        """A link the sender asks for; it also lets a recipient locked out by wrong codes try again.

        Only for an envelope the caller sees: checked first once the turn is held.
        """
        async with self._turns.hold(caller.tenant_id, envelope_id) as uow:
            envelope = await require_visible_envelope(uow, caller, envelope_id)
            signer = envelope.signer(signer_id)
            return await self._issue_in(uow, envelope, signer, caller.actor, LinkChannel.API, embedded_by)

    async def _issue_in(
        self, uow: UnitOfWork, envelope: Envelope, signer: Signer, actor: str, channel: LinkChannel,
        embedded_by: str | None,
    ) -> IssuedLink:
        """Record and store the link in the unit of work that holds the envelope's turn, and commit it."""
        now, token = self._clock.now(), self._secrets.new_secret()
        expires_at = now + (EMBEDDED_LINK_TTL if embedded_by is not None else self._ttl)
        if envelope.expires_at is not None:
            expires_at = min(expires_at, envelope.expires_at)
        if embedded_by is not None and not (envelope.policy and envelope.policy.embedded_signing):
            raise Forbidden(
                "this envelope's policy does not let your application authenticate its recipients (embedded_signing)"
            )
        envelope.record_link_issued(signer_id=signer.id, expires_at=expires_at, now=now, actor=actor)
        if channel is LinkChannel.API:
            envelope.unlock_signer(signer_id=signer.id, now=now, actor=actor)
        if embedded_by is not None:
            envelope.record_authenticated_by_sender(signer_id=signer.id, how=embedded_by, now=now, actor=actor)
        await uow.envelopes.save(envelope)
        # A link forwarded or leaked before is dead from now on.
        await uow.signing_links.revoke(envelope.tenant_id, envelope.id, signer.id, channels=channel.revokes, at=now)
        link = SigningLink(
            id=self._ids.new_id(), tenant_id=envelope.tenant_id, envelope_id=envelope.id, signer_id=signer.id,
            token_hash=hash_token(token), created_at=now, expires_at=expires_at, channel=channel,
            embedded_by=embedded_by,
        )
        await uow.signing_links.add(link)
        await uow.commit()
        return IssuedLink(id=link.id, token=token, expires_at=expires_at)
