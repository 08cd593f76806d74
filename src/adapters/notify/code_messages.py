"""A signer's one-time code put into words: an email (subject, text, HTML) or one short text message.

Every word is in a template, one set per language: templates/signer_code*.{txt,html} in English,
signer_code*.ar.{txt,html} in Arabic (the HTML right to left). The emails use the notices'
layout (_base.html / _base.txt, or their Arabic twins _base.ar.html / _base.ar.txt). The code
is in the body only: a subject line shows on lock screens and in mail lists, where anyone
nearby reads it.

The text message is one line, the code first (phones offer to fill it in from there), and kept
to 160 characters when the names allow: a long envelope subject, then a long sender name, is
shortened with "..." rather than sent as a message of several parts.
"""

from __future__ import annotations

import unicodedata

from jinja2 import BaseLoader

from undersign.adapters.notify.message import one_line
from undersign.adapters.notify.templates import message_templates
from undersign.application.shared.messages import EmailMessage, SignerCode, SmsMessage

LANGUAGES = ("en", "ar")  # the first is the fallback for any other
SMS_LENGTH = 160  # one GSM 03.38 message
SHORTEST_NAME = 12  # a subject or sender is not cut shorter than this (plus "...")
ELLIPSIS = "..."  # not "…", which is outside GSM 03.38 and would make the message UCS-2
# Bidirectional embeddings, overrides and isolates: in a subject they could make the text read
# otherwise than it is ("Trojan Source"); the templates set the direction themselves.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def plain(text: str) -> str:
    """A person's text for one line: whitespace runs as one space, no control or bidi-control characters."""
    spaced = one_line(text)  # line breaks and tabs become spaces before the other controls go
    return one_line("".join(c for c in spaced if c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc"))


def language_of(tag: str) -> str:
    """The language we have words for: "ar" for "ar", "ar-EG" or "AR_sa"; English for anything else."""
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else LANGUAGES[0]


def shorten(text: str, length: int) -> str:
    """`text` cut to `length` characters or fewer, "..." included, but never below SHORTEST_NAME."""
    length = max(length, SHORTEST_NAME + len(ELLIPSIS))
    if len(text) <= length:
        return text
    return text[: length - len(ELLIPSIS)].rstrip() + ELLIPSIS


class JinjaCodeMessages:
    def __init__(self, loader: BaseLoader | None = None) -> None:
        self._environment = message_templates(loader)

    def email(self, code: SignerCode, *, to: str, message_id: str) -> EmailMessage:
        context = self._context(code, subject=plain(code.subject), sender=plain(code.sender_name))
        title = one_line(self._render(code, "signer_code_subject.txt", context))
        context["title"] = title
        return EmailMessage(
            sender_name=plain(code.sender_name),
            to=to,
            subject=title,
            text=self._render(code, "signer_code.txt", context),
            html=self._render(code, "signer_code.html", context),
            message_id=message_id,
        )

    def sms(self, code: SignerCode, *, to: str, message_id: str) -> SmsMessage:
        subject, sender = plain(code.subject), plain(code.sender_name)
        text = self._sms_text(code, subject, sender)
        if len(text) > SMS_LENGTH:
            subject = shorten(subject, len(subject) - (len(text) - SMS_LENGTH))
            text = self._sms_text(code, subject, sender)
        if len(text) > SMS_LENGTH:
            sender = shorten(sender, len(sender) - (len(text) - SMS_LENGTH))
            text = self._sms_text(code, subject, sender)
        return SmsMessage(to=to, text=text, message_id=message_id)

    def _sms_text(self, code: SignerCode, subject: str, sender: str) -> str:
        return one_line(self._render(code, "signer_code_sms.txt", self._context(code, subject=subject, sender=sender)))

    def _context(self, code: SignerCode, *, subject: str, sender: str) -> dict[str, object]:
        if not code.code or not code.code.isprintable() or any(c.isspace() for c in code.code):
            raise ValueError("a one-time code is one word of printable characters")
        if code.minutes_valid < 1:
            raise ValueError(f"a one-time code is valid for at least a minute, not {code.minutes_valid}")
        return {
            "code": code.code,
            "minutes": code.minutes_valid,
            "subject": subject,
            "sender": sender,
            "recipient": plain(code.recipient_name),
        }

    def _render(self, code: SignerCode, name: str, context: dict[str, object]) -> str:
        language = language_of(code.language)
        stem, _, extension = name.rpartition(".")
        path = name if language == LANGUAGES[0] else f"{stem}.{language}.{extension}"
        return self._environment.get_template(path).render(context)
