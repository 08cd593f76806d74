"""`undersign serve` alone (the embedded default, no Redis) sends the emails: a real SMTP server on loopback reads them back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e import api
from tests.smtp_server import SmtpServer, smtp_server
from tests.stack import serve, settings_for

SIGNING_LINK = re.compile(r"https://sign\.example\.test/sign/([A-Za-z0-9_-]+)")


@pytest.fixture
def mail() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


async def mails_to(mail: SmtpServer, address: str, subject: str, timeout: float = 30) -> EmailMessage:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [m for m in mail.received() if m["To"] == address and m["Subject"] == subject]
        if found:
            return found[-1]
        assert asyncio.get_running_loop().time() < deadline, [(m["To"], m["Subject"]) for m in mail.received()]
        await asyncio.sleep(0.1)


async def test_the_signer_is_invited_by_email_signs_through_its_link_and_everyone_gets_the_sealed_copy(
    tmp_path: Path, mail: SmtpServer
) -> None:
    settings = settings_for(
        tmp_path / "data", UNDERSIGN_SMTP_URL=f"smtp://{mail.host}:{mail.port}", UNDERSIGN_MAIL_FROM="signing@example.test"
    )
    async with serve(settings) as stack:
        envelope_id, document_id = await api.create_envelope(stack, pages=1)
        ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
        await api.add_signer(stack, envelope_id, "Carl Copy", role="cc")
        await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
        await api.send(stack, envelope_id)

        invitation = await mails_to(mail, "ada.lovelace@example.com", "Please sign: Lease agreement")
        assert invitation["From"].addresses[0].addr_spec == "signing@example.test"
        assert invitation["From"].addresses[0].display_name == "acme"  # the tenant, having no sender name
        text = invitation.get_body(("plain",)).get_content()
        html = invitation.get_body(("html",)).get_content()
        token = SIGNING_LINK.search(text).group(1)
        assert token in html
        await api.sign(stack, token, "Ada Lovelace")  # the emailed link is a working one
        await api.until_sealed(stack, envelope_id)
        sealed = await api.final_pdf(stack, envelope_id, document_id)

        for address in ("ada.lovelace@example.com", "carl.copy@example.com"):
            completed = await mails_to(mail, address, "Completed: Lease agreement")
            (attachment,) = list(completed.iter_attachments())
            assert attachment.get_filename() == "lease.pdf"
            assert attachment.get_content() == sealed
        assert not [m for m in mail.received() if m["To"] == "carl.copy@example.com" and "sign" in m["Subject"].lower()]
