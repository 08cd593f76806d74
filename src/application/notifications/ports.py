"""Emails: what a notice says, how it is rendered, and who sends it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailMessage:
    sender_name: str  # the display name in From; the address is the installation's
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per notification, so a resent mail can be recognised as the same
    attachments: tuple[Attachment, ...] = ()


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail server; raise MailUnavailable if it could not take it."""
        ...


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


class NoticeTemplates(Protocol):
    def render(self, notice: Notice) -> tuple[str, str, str]:
        """The email's subject line, plain-text body and HTML body."""
        ...
