"""The notice templates: every kind renders, HTML is escaped, subjects stay on one line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from jinja2 import DictLoader, UndefinedError

from undersign.adapters.notify.templates import SUBJECTS, JinjaNoticeTemplates
from undersign.application.notifications.ports import Notice

URL = "https://sign.example/sign/Zm9vYmFy-token"
KINDS = ["invitation", "reminder", "completed", "declined", "voided", "expired"]


@pytest.fixture(scope="module")
def templates() -> JinjaNoticeTemplates:
    return JinjaNoticeTemplates()


def notice(kind: str, **overrides: object) -> Notice:
    fields: dict[str, object] = {
        "kind": kind,
        "sender_name": "Zürich Bank & Co",
        "recipient_name": "Anna Meier",
        "subject": "Lease for Rue du Rhône 12",
        "message": "Dear Anna,\nplease sign by Friday.",
        "expires_at": datetime(2026, 3, 14, 9, 30, tzinfo=UTC),
    }
    if kind in ("invitation", "reminder"):
        fields["signing_url"] = URL
    fields.update(overrides)
    return Notice(**fields)  # type: ignore[arg-type]


def test_there_are_templates_for_every_kind_of_notice() -> None:
    assert sorted(SUBJECTS) == sorted(KINDS)


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("invitation", "Please sign: Lease for Rue du Rhône 12"),
        ("reminder", "Reminder: please sign: Lease for Rue du Rhône 12"),
        ("completed", "Completed: Lease for Rue du Rhône 12"),
        ("declined", "Declined: Lease for Rue du Rhône 12"),
        ("voided", "Voided: Lease for Rue du Rhône 12"),
        ("expired", "Expired: Lease for Rue du Rhône 12"),
    ],
)
def test_each_kind_renders_a_subject_and_two_bodies(templates: JinjaNoticeTemplates, kind: str, subject: str) -> None:
    rendered_subject, text, html = templates.render(notice(kind))

    assert rendered_subject == subject
    for body in (text, html):
        assert "Anna Meier" in body
        assert "Lease for Rue du Rhône 12" in body
    assert "Zürich Bank & Co" in text and "Zürich Bank &amp; Co" in html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert "{{" not in text + html and "{%" not in text + html  # nothing left unrendered


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_asking_to_sign_shows_the_link_the_expiry_and_the_message(templates: JinjaNoticeTemplates, kind: str) -> None:
    _, text, html = templates.render(notice(kind))

    assert URL in text
    assert f'<a href="{URL}"' in html and f">{URL}</a>" in html  # a button, and the address readable too
    for body in (text, html):
        assert "14 March 2026, 09:30 UTC" in body
        assert "please sign by Friday." in body
    assert "Dear Anna,\nplease sign by Friday." in text
    assert "Dear Anna,<br>\nplease sign by Friday." in html


@pytest.mark.parametrize("kind", ["invitation", "reminder"])
def test_asking_to_sign_without_a_link_is_refused(templates: JinjaNoticeTemplates, kind: str) -> None:
    with pytest.raises(ValueError, match="signing URL"):
        templates.render(notice(kind, signing_url=None))


def test_no_expiry_and_no_message_leave_their_sentences_out(templates: JinjaNoticeTemplates) -> None:
    _, text, html = templates.render(notice("invitation", expires_at=None, message="  "))

    for body in (text, html):
        assert "expires" not in body and "Message from" not in body


def test_html_escapes_what_a_sender_wrote(templates: JinjaNoticeTemplates) -> None:
    hostile = notice(
        "invitation",
        subject="<script>alert(1)</script>",
        message='<img src=x onerror="alert(2)">',
        sender_name="<b>Evil</b>",
        recipient_name="<i>Anna</i>",
    )

    subject, text, html = templates.render(hostile)

    assert subject == "Please sign: <script>alert(1)</script>"  # a header: nothing to escape
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "<b>Evil" not in html and "<i>Anna" not in html
    assert "<script>alert(1)</script>" in text  # plain text is shown as it is


def test_a_subject_with_line_breaks_becomes_one_line(templates: JinjaNoticeTemplates) -> None:
    for kind in KINDS:
        subject, _, _ = templates.render(notice(kind, subject="Lease\r\n  for\tRue du Rhône\n12\n"))
        assert subject == f"{SUBJECTS[kind].format(subject='Lease for Rue du Rhône 12')}"
        assert "\n" not in subject and "\r" not in subject


def test_braces_in_a_subject_are_text_not_placeholders(templates: JinjaNoticeTemplates) -> None:
    subject, text, _ = templates.render(notice("voided", subject="Budget {subject} {0} {{ x }}"))

    assert subject == "Voided: Budget {subject} {0} {{ x }}"
    assert '"Budget {subject} {0} {{ x }}"' in text


def test_completed_lists_the_attached_documents(templates: JinjaNoticeTemplates) -> None:
    _, text, html = templates.render(notice("completed", documents=("Lease.pdf", "Annex <1>.pdf")))

    assert "  - Lease.pdf\n  - Annex <1>.pdf\n" in text
    assert "<li>Lease.pdf</li>" in html and "<li>Annex &lt;1&gt;.pdf</li>" in html
    assert "too large" not in text + html


def test_completed_with_documents_too_large_says_to_ask_the_sender(templates: JinjaNoticeTemplates) -> None:
    _, text, html = templates.render(notice("completed", documents_too_large=True))

    assert "too large to attach" in text and "ask Zürich Bank & Co for a copy" in text
    assert "too large to attach" in html and "ask Zürich Bank &amp; Co for a copy" in html
    assert "attached:" not in text


@pytest.mark.parametrize("kind", ["declined", "voided"])
def test_a_reason_is_shown_escaped_in_html(templates: JinjaNoticeTemplates, kind: str) -> None:
    _, text, html = templates.render(notice(kind, reason="Wrong rent <b>amount</b>\nand date"))

    assert "Wrong rent <b>amount</b>\nand date" in text
    assert "Wrong rent &lt;b&gt;amount&lt;/b&gt;<br>\nand date" in html


def test_a_decline_without_a_reason_says_so(templates: JinjaNoticeTemplates) -> None:
    _, text, html = templates.render(notice("declined", reason=None))

    assert "No reason was given." in text and "No reason was given." in html


def test_expired_names_the_expiry(templates: JinjaNoticeTemplates) -> None:
    _, text, _ = templates.render(notice("expired"))

    assert "expired on 14 March 2026, 09:30 UTC" in text


def test_the_expiry_is_shown_in_utc_whatever_zone_it_came_in(templates: JinjaNoticeTemplates) -> None:
    from datetime import timedelta, timezone

    zurich = timezone(timedelta(hours=1))
    _, text, _ = templates.render(notice("invitation", expires_at=datetime(2026, 3, 14, 10, 30, tzinfo=zurich)))

    assert "14 March 2026, 09:30 UTC" in text


def test_an_unknown_kind_is_refused(templates: JinjaNoticeTemplates) -> None:
    with pytest.raises(ValueError, match="'birthday'"):
        templates.render(notice("birthday"))


def test_a_misspelt_variable_fails_the_render_instead_of_mailing_a_blank() -> None:
    loader = DictLoader({
        "invitation.txt": "Sign here: {{ notice.signing_ulr }}",
        "invitation.html": "<a href='{{ notice.signing_url }}'>sign</a>",
    })  # fmt: skip
    with pytest.raises(UndefinedError, match="signing_ulr"):
        JinjaNoticeTemplates(loader).render(notice("invitation"))


def test_a_notice_renders_the_same_twice(templates: JinjaNoticeTemplates) -> None:
    one = notice("completed", documents=("a.pdf",))
    assert templates.render(one) == templates.render(replace(one))
