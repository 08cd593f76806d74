"""Notices put into words: a subject line, a plain-text body and an HTML body per kind.

The bodies are Jinja templates in templates/<kind>.txt and templates/<kind>.html (the HTML
ones extend _base.html). HTML is autoescaped, so an envelope subject or message written by
a sender cannot inject markup; plain text is not escaped, having nothing to inject into.
A misspelt variable fails the render (StrictUndefined) instead of mailing a blank.
"""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from undersign.adapters.notify.message import one_line
from undersign.application.notifications.ports import Notice, NoticeKind

SUBJECTS = {
    "invitation": "Please sign: {subject}",
    "reminder": "Reminder: please sign: {subject}",
    "completed": "Completed: {subject}",
    "declined": "Declined: {subject}",
    "voided": "Voided: {subject}",
    "expired": "Expired: {subject}",
}


def when(moment: datetime) -> str:
    """A date and time everyone reads the same way: "14 March 2026, 09:30 UTC"."""
    moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def paragraphs(text: str) -> Markup:
    """Text a person typed, escaped, its line breaks kept as <br>."""
    return Markup("<br>\n").join(escape(line) for line in text.strip().splitlines())


def message_templates(loader: BaseLoader | None = None) -> Environment:
    """The templates shipped in this package, or those `loader` finds (an installation's own wording):
    HTML autoescaped, and a misspelt variable fails instead of mailing a blank."""
    return Environment(
        loader=loader or PackageLoader("undersign.adapters.notify", "templates"),
        autoescape=lambda name: name is not None and name.endswith(".html"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class JinjaNoticeTemplates:
    def __init__(self, loader: BaseLoader | None = None) -> None:
        self._environment = message_templates(loader)
        self._environment.filters["when"] = when
        self._environment.filters["paragraphs"] = paragraphs

    def render(self, notice: Notice) -> tuple[str, str, str]:
        if notice.kind not in SUBJECTS:
            raise ValueError(f"no templates for notices of kind {notice.kind!r}")
        if NoticeKind(notice.kind).asks_to_act and not notice.signing_url:
            raise ValueError(f"a{'n' if notice.kind[0] in 'aeiou' else ''} {notice.kind} needs a signing URL")
        subject = one_line(notice.subject)
        title = one_line(SUBJECTS[notice.kind].format(subject=subject))
        context = {
            "notice": notice,
            "title": title,
            "subject": subject,
            "sender": one_line(notice.sender_name),
            "recipient": one_line(notice.recipient_name),
            "message": notice.message.strip(),
            "reason": (notice.reason or "").strip(),
            "declined_by": one_line(notice.declined_by or "a recipient"),
        }
        text = self._environment.get_template(f"{notice.kind}.txt").render(context)
        html = self._environment.get_template(f"{notice.kind}.html").render(context)
        return title, text, html
