"""A mailer and an SMS gateway that keep what they were asked to send."""

from __future__ import annotations

from dataclasses import dataclass, field

from undersign.application.shared.errors import MailUnavailable, SmsUnavailable
from undersign.application.shared.messages import EmailMessage, SmsMessage


@dataclass
class FakeMailer:
    """Keeps what it was given; `failure`, when set, is raised instead (a mail server that is down)."""

    sent: list[EmailMessage] = field(default_factory=list)
    failure: MailUnavailable | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)


@dataclass
class FakeSmsSender:
    """Keeps the text messages it was given; `failure`, when set, is raised instead (a gateway that is down)."""

    sent: list[SmsMessage] = field(default_factory=list)
    failure: SmsUnavailable | None = None

    async def send(self, message: SmsMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)
