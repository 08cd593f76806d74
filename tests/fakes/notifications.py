"""A mailer that keeps what it was asked to send."""

from __future__ import annotations

from dataclasses import dataclass, field

from undersign.application.notifications.ports import EmailMessage
from undersign.application.shared.errors import MailUnavailable


@dataclass
class FakeMailer:
    """Keeps what it was given; `failure`, when set, is raised instead (a mail server that is down)."""

    sent: list[EmailMessage] = field(default_factory=list)
    failure: MailUnavailable | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)
