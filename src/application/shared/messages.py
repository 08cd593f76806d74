"""Messages that leave the platform for a person: emails and text messages, and who hands them over.

Shared by every subject that writes to people: notifications (invitations, reminders, ...)
and signing (a recipient's one-time code). Their wording lives with each subject's use.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsMessage:
    to: str  # E.164: "+" and up to 15 digits
    text: str
    message_id: str  # stable per message, so a gateway can recognise one sent again


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None:
        """Hand the text to the SMS gateway; raise SmsUnavailable if it did not take it.

        Taken is all this promises: delivery to the phone is the gateway's business.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerCode:
    """A one-time code for a recipient, before it is put into words (an email or a text message)."""

    recipient_name: str
    sender_name: str
    subject: str  # the envelope's subject
    code: str
    minutes_valid: int
    language: str = "en"  # "en" or "ar"; any other falls back to English


class CodeMessages(Protocol):
    """The wording of a signer's one-time code. The code is in the body, never in an email's subject line
    (which lock screens and mail lists show to anyone nearby)."""

    def email(self, code: SignerCode, *, to: str, message_id: str) -> EmailMessage: ...

    def sms(self, code: SignerCode, *, to: str, message_id: str) -> SmsMessage:
        """One short text (160 characters or fewer where the names allow), the code first."""
        ...
