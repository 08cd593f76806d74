"""Signer: one recipient's participation in an envelope, and the evidence of their act."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import AlreadyActed, InvalidInput, InvalidState, NotYourTurn


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
MAX_EMAIL_LENGTH = 254

ACTED = frozenset({SignerStatus.SIGNED, SignerStatus.APPROVED, SignerStatus.DECLINED})


def normalize_email(email: str) -> str:
    """How recipients' emails are kept and matched: trimmed, in lower case."""
    return email.strip().lower()


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

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise InvalidInput(f"a recipient needs a name of 1 to {MAX_NAME_LENGTH} characters")
        if len(self.email) > MAX_EMAIL_LENGTH:
            raise InvalidInput(f"an email address has at most {MAX_EMAIL_LENGTH} characters")
        local, at, domain = self.email.partition("@")
        if not (local and at and "." in domain) or any(c.isspace() for c in self.email):
            raise InvalidInput(f"{self.email!r} is not an email address")
        if self.routing_order < 1:
            raise InvalidInput("routing_order starts at 1")

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

    def decline(self, reason: str, now: datetime) -> None:
        self.check_can_act()
        self.status = SignerStatus.DECLINED
        self.acted_at = now
        self.decline_reason = reason
