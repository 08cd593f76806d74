"""A recipient declines: the envelope stops, and nobody else can act on it."""

from __future__ import annotations

from dataclasses import dataclass

from undersign.application.shared.loading import require_link_and_envelope, require_open
from undersign.application.shared.ports import Clock
from undersign.application.shared.unit_of_work import UnitOfWorkFactory
from undersign.application.shared.write_conflicts import retry_on_conflict
from undersign.application.signing.sessions import SigningSession
from undersign.application.signing.signer_authentication import SignerPass, require_passed


@dataclass(frozen=True, slots=True, kw_only=True)
class Decline:
    token: str
    reason: str
    signer_pass: SignerPass | None = None


class DeclineHandler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, command: Decline) -> SigningSession:
        """What the recipient sees once they declined: the envelope closed, and no documents any more."""
        return await retry_on_conflict(lambda: self._decline(command))

    async def _decline(self, command: Decline) -> SigningSession:
        async with self._uow() as uow:
            now = self._clock.now()
            link, envelope = await require_link_and_envelope(uow, command.token, now)
            authentication = require_passed(envelope, link, command.signer_pass, now)
            # A decline sent again (its answer was lost) is answered as the first was; the envelope it
            # closed would refuse anything else.
            if not envelope.repeats_decline(signer_id=link.signer_id, reason=command.reason):
                require_open(envelope, now)
                envelope.decline(signer_id=link.signer_id, reason=command.reason, now=now, actor=f"signer:{link.signer_id}")
                await uow.envelopes.save(envelope)
                await uow.commit()
        # Declining closes the envelope, and with it every link to it (this one too).
        return SigningSession.through(link, envelope, [], authentication)
