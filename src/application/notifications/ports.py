"""Notices: what an email about an envelope says, and how it is put into words (application.shared.messages sends it)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class NoticeKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"
    EXPIRED = "expired"

    @property
    def asks_to_act(self) -> bool:
        """An invitation or a reminder: it carries a signing link."""
        return self in (NoticeKind.INVITATION, NoticeKind.REMINDER)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """What an email says, before it is put into words by a template."""

    kind: NoticeKind
    sender_name: str
    recipient_name: str
    subject: str
    message: str
    signing_url: str | None = None
    reason: str | None = None
    declined_by: str | None = None  # the recipient who declined (declined)
    expires_at: datetime | None = None  # until when the signing link works (invitation, reminder)
    documents: tuple[str, ...] = ()  # filenames of the final documents attached (completed)
    documents_too_large: bool = False  # completed, but the documents were too large to attach
    documents_withheld: bool = False  # completed, but the recipient proves more than their mailbox to read them


class NoticeTemplates(Protocol):
    def render(self, notice: Notice) -> tuple[str, str, str]:
        """The email's subject line, plain-text body and HTML body."""
        ...
