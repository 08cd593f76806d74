"""The one place an application EmailMessage becomes RFC 5322 bytes, for every mailer.

Headers are built with the email package's header registry, never by concatenating
strings: a display name such as "Zürich Bank & Co" or "Smith, Jones" is quoted or
encoded as RFC 2047 requires, and a line break smuggled into a name or subject cannot
start a header of its own.
"""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage

import idna

from undersign.application.shared.messages import EmailMessage

# CRLF line endings and folded headers, as they go over the wire and into an .eml file.
POLICY = email.policy.SMTP

MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")


def one_line(text: str) -> str:
    """Any run of whitespace (line breaks included) becomes one space: header values stay on one line."""
    return " ".join(text.split())


def parse_address(address: str, display_name: str = "") -> Address:
    """An address for a header; ValueError if `address` is not one addr-spec."""
    address = address.strip()
    if not address or any(c.isspace() or c in "<>,;\"" for c in address) or address.count("@") != 1:
        raise ValueError(f"not an email address: {address!r}")
    local, domain = address.split("@")
    if not local or not domain:
        raise ValueError(f"not an email address: {address!r}")
    return Address(display_name=one_line(display_name), username=local, domain=_ascii_domain(domain))


def _ascii_domain(domain: str) -> str:
    """An internationalised domain in its ASCII (punycode) form, which every mail server accepts.

    IDNA 2008 with UTS 46 mapping, as browsers and mail programs do: the standard
    library's "idna" codec (IDNA 2003) would turn "straße.de" into another domain.
    """
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(f"not a mail domain: {domain!r}") from error


def message_id_header(message_id: str) -> str:
    """`message_id` as a Message-ID header value (angle brackets added if missing); ValueError if malformed."""
    value = message_id.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not MESSAGE_ID.match(value) or not value.isascii():
        raise ValueError(f"not a Message-ID: {message_id!r}")
    return value


def build_message(message: EmailMessage, *, from_address: str, date: datetime | None = None) -> MimeMessage:
    """A MIME message: multipart/alternative (text, then HTML), inside multipart/mixed with the attachments if any.

    From shows the tenant's sender name with the installation's address; there is no
    Reply-To, so a reply goes to that address and not to a person it might mislead about.
    Bodies are quoted-printable, so the message is 7-bit clean for any server.
    """
    mime = MimeMessage(policy=POLICY)
    mime["From"] = parse_address(from_address, message.sender_name)
    mime["To"] = parse_address(message.to)
    mime["Subject"] = one_line(message.subject)
    mime["Date"] = (date or datetime.now(UTC)).astimezone(UTC)
    mime["Message-ID"] = message_id_header(message.message_id)
    # RFC 3834: tells out-of-office responders not to answer a notification.
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not maintype or not subtype:
            raise ValueError(f"not a content type: {attachment.content_type!r}")
        mime.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=one_line(attachment.filename) or "document"
        )
    for part in mime.iter_parts():
        _drop_mime_version(part)
    return mime


def _drop_mime_version(part: MimeMessage) -> None:
    """The email package stamps MIME-Version on every part it makes; RFC 2045 wants it only at the top."""
    del part["MIME-Version"]
    for child in part.iter_parts():
        _drop_mime_version(child)


def needs_smtputf8(mime: MimeMessage) -> bool:
    """Whether an address has a non-ASCII local part, which only SMTPUTF8 (RFC 6531) can carry."""
    return not all(address.username.isascii() for name in ("From", "To") for address in mime[name].addresses)


def message_bytes(message: EmailMessage, *, from_address: str, date: datetime | None = None) -> bytes:
    """The message as RFC 5322 bytes (CRLF line endings); UTF-8 headers only if an address needs them."""
    mime = build_message(message, from_address=from_address, date=date)
    return mime.as_bytes(policy=email.policy.SMTPUTF8 if needs_smtputf8(mime) else POLICY)
