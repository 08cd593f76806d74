"""The SMTP mailer against a real SMTP server (aiosmtpd in a process of its own), and the file mailer."""

from __future__ import annotations

import email.policy
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.smtp_server import SmtpServer, silent_server, smtp_server
from undersign.adapters.notify.file_mailer import FileMailer, eml_name
from undersign.adapters.notify.message import parse_address
from undersign.adapters.notify.smtp import SmtpMailer, SmtpSettings, parse_smtp_url
from undersign.application.shared.errors import MailUnavailable
from undersign.application.shared.messages import Attachment, EmailMessage

FROM = "notifications@undersign.example"
PDF_A = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PDF_B = b"%PDF-1.4\n\x00\xff\r\n\x1a binary \x80\x81 " * 500 + b"%%EOF"


@pytest.fixture(scope="module")
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


def mailer_for(server: SmtpServer, **settings: object) -> SmtpMailer:
    return SmtpMailer(SmtpSettings(host=server.host, port=server.port, timeout_seconds=5, **settings), FROM)


def message(**overrides: object) -> EmailMessage:
    fields: dict[str, object] = {
        "sender_name": "Zürich Bank & Co",
        "to": "anna@example.com",
        "subject": "Please sign: Lease for Rue du Rhône 12",
        "text": "Hello Anna,\nplease sign – https://sign.example/sign/t0k3n\n",
        "html": '<p>Hello Anna,</p><p><a href="https://sign.example/sign/t0k3n">Review and sign</a> – ça va?</p>',
        "message_id": f"<{uuid.uuid4().hex}.signer-1@mail.undersign.example>",
    }
    fields.update(overrides)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def received(server: SmtpServer, message_id: str) -> MimeMessage:
    found = [m for m in server.received() if m["Message-ID"] == message_id]
    assert len(found) == 1, f"{len(found)} messages with Message-ID {message_id}"
    return found[0]


async def test_an_invitation_arrives_with_its_headers_and_both_bodies(server: SmtpServer) -> None:
    sent = message()

    await mailer_for(server).send(sent)

    got = received(server, sent.message_id)
    (sender,) = got["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Zürich Bank & Co", FROM)
    assert got["To"].addresses[0].addr_spec == "anna@example.com"
    assert got["Subject"] == sent.subject
    assert got["Reply-To"] is None
    assert got["Auto-Submitted"] == "auto-generated"
    assert abs(time.time() - parsedate_to_datetime(got["Date"]).timestamp()) < 60
    assert got["X-MailFrom"] == FROM  # aiosmtpd records the envelope sender
    assert got.get_content_type() == "multipart/alternative"
    assert got.get_body(("plain",)).get_content() == sent.text
    assert got.get_body(("html",)).get_content().rstrip("\n") == sent.html
    assert list(got.iter_attachments()) == []


async def test_a_display_name_with_quotes_and_commas_stays_one_name(server: SmtpServer) -> None:
    sent = message(sender_name='Smith, Jones & "Partners"\r\nBcc: eve@example.com', subject="Two\nlines")

    await mailer_for(server).send(sent)

    got = received(server, sent.message_id)
    assert [a.display_name for a in got["From"].addresses] == ['Smith, Jones & "Partners" Bcc: eve@example.com']
    assert got["Bcc"] is None and got["Subject"] == "Two lines"
    assert got["X-RcptTo"] == "anna@example.com"


async def test_an_international_domain_is_sent_in_its_ascii_form(server: SmtpServer) -> None:
    sent = message(to="anna@zürich.example")

    await mailer_for(server).send(sent)

    got = received(server, sent.message_id)
    assert got["X-RcptTo"] == "anna@xn--zrich-kva.example"
    assert got["To"].addresses[0].addr_spec == "anna@xn--zrich-kva.example"


def test_an_international_domain_is_encoded_as_idna_2008() -> None:
    assert parse_address("max@straße.de").domain == "xn--strae-oqa.de"  # IDNA 2003 would say strasse.de


async def test_a_completed_notice_carries_its_pdfs_byte_for_byte(server: SmtpServer) -> None:
    sent = message(
        subject="Completed: Lease",
        attachments=(
            Attachment(filename="Lease – signed.pdf", content=PDF_A),
            Attachment(filename="Annex.pdf", content=PDF_B),
        ),
    )

    await mailer_for(server).send(sent)

    got = received(server, sent.message_id)
    assert got.get_content_type() == "multipart/mixed"
    assert got.get_body(("plain",)).get_content() == sent.text
    attachments = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in got.iter_attachments()]
    assert attachments == [
        ("Lease – signed.pdf", "application/pdf", PDF_A),
        ("Annex.pdf", "application/pdf", PDF_B),
    ]


async def test_the_same_notice_sent_twice_keeps_its_message_id(server: SmtpServer) -> None:
    sent = message()
    mailer = mailer_for(server)

    await mailer.send(sent)
    await mailer.send(sent)

    assert [m["Message-ID"] for m in server.received()].count(sent.message_id) == 2


async def test_a_stopped_server_is_mail_unavailable_naming_the_host_not_the_password(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path)
    server.start()
    server.stop()
    mailer = mailer_for(server, username="mailer", password="s3cret-pa55")

    started = time.monotonic()
    with pytest.raises(MailUnavailable) as raised:
        await mailer.send(message())

    assert time.monotonic() - started < 5
    assert f"127.0.0.1:{server.port}" in raised.value.detail
    assert "s3cret-pa55" not in raised.value.detail


async def test_a_server_that_restarts_takes_mail_again(tmp_path: Path) -> None:
    server = SmtpServer(tmp_path)
    server.start()
    try:
        server.stop()
        with pytest.raises(MailUnavailable):
            await mailer_for(server).send(message())
        server.start()
        sent = message()
        await mailer_for(server).send(sent)
        assert received(server, sent.message_id)["Subject"] == sent.subject
    finally:
        server.stop()


async def test_a_server_that_never_answers_times_out_as_mail_unavailable() -> None:
    with silent_server() as (host, port):
        mailer = SmtpMailer(SmtpSettings(host=host, port=port, timeout_seconds=0.5), FROM)
        started = time.monotonic()
        with pytest.raises(MailUnavailable, match=f"{host}:{port}"):
            await mailer.send(message())
    assert time.monotonic() - started < 5


async def test_credentials_the_server_cannot_take_are_mail_unavailable_without_the_password(server: SmtpServer) -> None:
    # aiosmtpd offers no AUTH here, so the login cannot happen.
    mailer = mailer_for(server, username="mailer", password="s3cret-pa55")

    with pytest.raises(MailUnavailable) as raised:
        await mailer.send(message())

    assert "s3cret-pa55" not in str(raised.value) and server.host in str(raised.value)


def test_a_bad_from_address_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="not an email address"):
        SmtpMailer(SmtpSettings(host="127.0.0.1", port=25), "Undersign <noreply@example.com>")


# -- the file mailer ----------------------------------------------------------------------------


def read_eml(path: Path) -> MimeMessage:
    # The file has the wire's CRLF line endings; the email package (like the mailbox module
    # that stored the server's messages) reads a message with the local "\n".
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    return BytesParser(policy=email.policy.default).parsebytes(raw)  # type: ignore[return-value]


async def test_the_file_mailer_writes_the_same_message_as_eml(tmp_path: Path) -> None:
    sent = message(attachments=(Attachment(filename="Lease.pdf", content=PDF_A),))

    await FileMailer(tmp_path / "outbox", FROM).send(sent)

    (path,) = (tmp_path / "outbox").iterdir()
    assert path.name == eml_name(sent.message_id) == f"{sent.message_id[1:-1]}.eml"
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    got = read_eml(path)
    assert got["Message-ID"] == sent.message_id
    assert got["From"].addresses[0].display_name == "Zürich Bank & Co"
    assert got.get_body(("html",)).get_content().rstrip("\n") == sent.html
    assert [a.get_content() for a in got.iter_attachments()] == [PDF_A]


async def test_the_file_mailer_replaces_a_message_sent_again(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path)
    first = message(text="first\n")

    await mailer.send(first)
    await mailer.send(message(message_id=first.message_id, text="second\n"))

    (path,) = tmp_path.iterdir()
    assert read_eml(path).get_body(("plain",)).get_content() == "second\n"


def test_eml_names_are_safe_and_distinct() -> None:
    odd = ["<a/b@x>", "<a\\b@x>", "<../../etc@x>", "<.hidden@x>", "<" + "y" * 400 + "@x>", "<a b@x>", "<a_b@x>"]
    names = [eml_name(i) for i in odd]
    assert len(set(names)) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) < 200
    assert eml_name("<a_b@x>") == "a_b@x.eml"


async def test_an_unwritable_directory_is_mail_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(MailUnavailable, match="could not write"):
        await FileMailer(blocker / "outbox").send(message())


# -- the mail server URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpSettings(host="mail.example.com", port=25)),
        ("smtp://127.0.0.1:2525", SmtpSettings(host="127.0.0.1", port=2525)),
        (
            "smtp://user:pass@mail.example.com:587?starttls=true",
            SmtpSettings(host="mail.example.com", port=587, username="user", password="pass", starttls=True),
        ),
        (
            "smtp://user:pass@mail.example.com:587",
            SmtpSettings(host="mail.example.com", port=587, username="user", password="pass", starttls=True),
        ),
        ("smtp://mail.example.com:587?starttls=false", SmtpSettings(host="mail.example.com", port=587)),
        (
            "smtps://apikey:p%40ss%2Fw%3Ard@smtp.example.com",
            SmtpSettings(host="smtp.example.com", port=465, username="apikey", password="p@ss/w:rd", implicit_tls=True),
        ),
        (
            "SMTPS://me%40example.com:x@[::1]:4650?timeout=2.5",
            SmtpSettings(host="::1", port=4650, username="me@example.com", password="x", implicit_tls=True,
                         timeout_seconds=2.5),
        ),
        ("smtp://user:pw@localhost:25", SmtpSettings(host="localhost", port=25, username="user", password="pw")),
    ],
)  # fmt: skip
def test_smtp_urls(url: str, expected: SmtpSettings) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mail.example.com", "smtp:// or smtps://"),
        ("mail.example.com:25", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://mail.example.com:0", "1 to 65535"),
        ("smtp://mail.example.com:70000", "1 to 65535"),
        ("smtp://mail.example.com:twenty-five", "1 to 65535"),
        ("smtp://mail.example.com/inbox", "no path"),
        ("smtp://mail.example.com?starttls=maybe", "true or false"),
        ("smtp://mail.example.com?starttsl=true", "unknown mail server URL option(s): starttsl"),
        ("smtp://mail.example.com?timeout=0", "timeout"),
        ("smtp://mail.example.com?timeout=soon", "timeout"),
        ("smtps://mail.example.com?starttls=true", "smtp:// only"),
        ("smtp://user:secret@mail.example.com:25", "unencrypted"),
        ("smtp://:secret@mail.example.com:465", "no user name"),
    ],
)
def test_bad_smtp_urls_say_what_is_wrong_without_the_password(url: str, complaint: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_smtp_url(url)
    assert complaint in str(raised.value)
    assert "secret" not in str(raised.value)


def test_the_password_stays_out_of_the_settings_repr() -> None:
    settings = parse_smtp_url("smtps://user:hunter2@smtp.example.com")
    assert "hunter2" not in repr(settings) and "user" in repr(settings)
