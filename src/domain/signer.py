"""Signer: one recipient's participation in an envelope, and the evidence of their act."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from undersign.domain.errors import (
    AlreadyActed,
    AlreadyDeclined,
    AlreadySigned,
    InvalidInput,
    InvalidState,
    NotYourTurn,
)
from undersign.domain.policy import SignerAuth
from undersign.domain.signer_authentication import SignerAuthState, phone_number
from undersign.domain.text import email_address, single_line


class Role(enum.StrEnum):
    SIGNER = "signer"
    APPROVER = "approver"
    CC = "cc"


class SignerStatus(enum.StrEnum):
    PENDING = "pending"
    NOTIFIED = "notified"
    VIEWED = "viewed"
    SIGNED = "signed"
    APPROVED = "approved"
    DECLINED = "declined"


MAX_NAME_LENGTH = 200
MAX_SIGNATURE_TEXT_LENGTH = 200  # a typed signature is a name
MAX_ROUTING_ORDER = 999

ACTED = frozenset({SignerStatus.SIGNED, SignerStatus.APPROVED, SignerStatus.DECLINED})


def normalize_email(email: str) -> str:
    """How recipients' emails are kept and matched: trimmed, in lower case."""
    return email.strip().lower()


def typed_signature(text: str) -> str:
    """A typed signature as it is kept and drawn: one line of a name's length."""
    return single_line(text, what="the signature text", max_length=MAX_SIGNATURE_TEXT_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class SigningEvidence:
    """What the platform can later show about how and when a recipient acted."""

    at: datetime
    ip: str | None
    user_agent: str | None
    auth_method: str
    signature_text: str
    consent_text: str
    certificate_serials: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class Signer:
    id: str
    name: str
    email: str
    role: Role
    routing_order: int
    status: SignerStatus = SignerStatus.PENDING
    acted_at: datetime | None = None
    decline_reason: str | None = None
    evidence: SigningEvidence | None = None
    notified_at: datetime | None = None  # when their turn came (and their invitation went out)
    reminded_at: datetime | None = None  # their last reminder
    auth: SignerAuthState = field(default_factory=SignerAuthState)

    @classmethod
    def invite(
        cls,
        *,
        signer_id: str,
        name: str,
        email: str,
        role: Role,
        routing_order: int,
        auth_method: SignerAuth | None = None,
        phone: str | None = None,
        access_code_hash: str | None = None,
    ) -> Signer:
        """A new recipient, if their name, address, routing order and authentication can be used.

        `auth_method` is the sender's choice for this recipient (None: the policy's); an access
        code comes hashed, never in clear.
        """
        if not 1 <= routing_order <= MAX_ROUTING_ORDER:
            raise InvalidInput(f"routing_order is a whole number from 1 to {MAX_ROUTING_ORDER}")
        if auth_method is SignerAuth.ACCESS_CODE and access_code_hash is None:
            raise InvalidInput("a recipient who signs with an access code needs one: give access_code")
        if access_code_hash is not None and auth_method is not SignerAuth.ACCESS_CODE:
            raise InvalidInput("an access code is only for a recipient whose authentication is access_code")
        return cls(
            id=signer_id, name=single_line(name, what="a recipient's name", max_length=MAX_NAME_LENGTH),
            email=email_address(email), role=role, routing_order=routing_order,
            auth=SignerAuthState(
                method=auth_method, phone=phone_number(phone) if phone is not None else None,
                access_code_hash=access_code_hash,
            ),
        )

    @property
    def acts(self) -> bool:
        """Whether routing waits for this recipient (carbon copies only receive)."""
        return self.role is not Role.CC

    @property
    def is_done(self) -> bool:
        return not self.acts or self.status in (SignerStatus.SIGNED, SignerStatus.APPROVED)

    @property
    def is_active(self) -> bool:
        """Whether it is this recipient's turn and they have not acted yet."""
        return self.acts and self.status in (SignerStatus.NOTIFIED, SignerStatus.VIEWED)

    def notify(self, now: datetime) -> None:
        self.status = SignerStatus.NOTIFIED
        self.notified_at = now

    def reminder_due(self, now: datetime, every: timedelta) -> bool:
        """Whether a recipient whose turn it is has waited `every` since their invitation or last reminder."""
        last = self.reminded_at or self.notified_at
        return self.is_active and last is not None and now >= last + every

    def remind(self, now: datetime) -> None:
        self.reminded_at = now

    def view(self) -> bool:
        """Record a first view; returns whether this view changed anything."""
        if self.status is SignerStatus.NOTIFIED:
            self.status = SignerStatus.VIEWED
            return True
        return False

    def check_can_act(self) -> None:
        if self.status in ACTED:
            raise AlreadyActed(f"{self.name} has already {self.status.value}")
        if not self.acts:
            raise InvalidState("a carbon-copy recipient has nothing to sign")
        if not self.is_active:
            raise NotYourTurn("it is not this recipient's turn yet: earlier recipients have not finished")

    def sign(self, evidence: SigningEvidence) -> None:
        self.check_can_act()
        self.status = SignerStatus.APPROVED if self.role is Role.APPROVER else SignerStatus.SIGNED
        self.acted_at = evidence.at
        self.evidence = evidence

    def signed_already(self, signature_text: str) -> bool:
        """Whether a signature asked for now repeats one already made (same typed signature): a retry, to be
        answered as the first was. False if they have not acted; AlreadySigned or AlreadyDeclined if the
        request asks for something other than what they did."""
        if self.status not in ACTED:
            return False
        if self.status is SignerStatus.DECLINED:
            raise AlreadyDeclined(f"{self.name} has declined: there is nothing left to sign")
        if self.evidence is None or self.evidence.signature_text != signature_text.strip():
            raise AlreadySigned(f"{self.name} has already {self.status.value}, with another signature")
        return True

    def declined_already(self, reason: str) -> bool:
        """Whether a decline asked for now repeats the one already made (same reason); as `signed_already`."""
        if self.status not in ACTED:
            return False
        if self.status is not SignerStatus.DECLINED:
            raise AlreadySigned(f"{self.name} has already {self.status.value}: it cannot be declined now")
        if self.decline_reason != reason:
            raise AlreadyDeclined(f"{self.name} has declined already, for another reason")
        return True

    def decline(self, reason: str, now: datetime) -> None:
        self.check_can_act()
        self.status = SignerStatus.DECLINED
        self.acted_at = now
        self.decline_reason = reason
