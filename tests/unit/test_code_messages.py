"""A signer's one-time code in words: the email and the text message, in English and Arabic."""

from __future__ import annotations

import pytest

from undersign.adapters.notify.code_messages import SMS_LENGTH, JinjaCodeMessages, language_of
from undersign.application.shared.messages import SignerCode

CODE = "482913"
TO_EMAIL, TO_PHONE = "ada@example.com", "+41791234567"
MESSAGE_ID = "<code.env-1.signer-1.77@mail.undersign.example>"


@pytest.fixture(scope="module")
def messages() -> JinjaCodeMessages:
    return JinjaCodeMessages()


def signer_code(**overrides: object) -> SignerCode:
    fields: dict[str, object] = {
        "recipient_name": "Ada Lovelace", "sender_name": "Acme Leasing", "subject": "Lease for Rue du Rhône 12",
        "code": CODE, "minutes_valid": 10,
    }  # fmt: skip
    return SignerCode(**(fields | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_email_has_the_code_subject_and_minutes_in_both_bodies_but_not_in_its_subject_line(
    messages: JinjaCodeMessages, language: str
) -> None:
    email = messages.email(signer_code(language=language), to=TO_EMAIL, message_id=MESSAGE_ID)

    assert email.to == TO_EMAIL and email.message_id == MESSAGE_ID and email.sender_name == "Acme Leasing"
    assert CODE not in email.subject
    assert "Lease for Rue du Rhône 12" in email.subject
    for body in (email.text, email.html):
        assert CODE in body
        assert "Lease for Rue du Rhône 12" in body
        assert "10" in body
        assert "Acme Leasing" in body and "Ada Lovelace" in body


def test_the_english_email_reads_as_english(messages: JinjaCodeMessages) -> None:
    email = messages.email(signer_code(), to=TO_EMAIL, message_id=MESSAGE_ID)

    assert email.subject == "Your code to sign: Lease for Rue du Rhône 12"
    assert "It expires in 10 minutes." in email.text
    assert "Never share this code" in email.text
    assert '<html lang="en">' in email.html


def test_the_arabic_email_reads_right_to_left_in_arabic(messages: JinjaCodeMessages) -> None:
    email = messages.email(signer_code(language="ar"), to=TO_EMAIL, message_id=MESSAGE_ID)

    assert email.subject == "رمز التوقيع: Lease for Rue du Rhône 12"
    assert "10 دقائق" in email.text and "لا تشارك هذا الرمز" in email.text
    assert '<html lang="ar" dir="rtl">' in email.html
    assert '<span dir="ltr"' in email.html  # the code reads left to right inside the Arabic text
    assert "Hello" not in email.text + email.html and "expires" not in email.text + email.html


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_sms_is_one_short_line_with_the_code_first(messages: JinjaCodeMessages, language: str) -> None:
    sms = messages.sms(signer_code(language=language), to=TO_PHONE, message_id=MESSAGE_ID)

    assert sms.to == TO_PHONE and sms.message_id == MESSAGE_ID
    assert sms.text.startswith(f"{CODE} ")
    assert "Lease for Rue du Rhône 12" in sms.text and "Acme Leasing" in sms.text and "10" in sms.text
    assert "\n" not in sms.text and len(sms.text) <= SMS_LENGTH


def test_the_english_sms_says_what_the_code_is_for_and_not_to_share_it(messages: JinjaCodeMessages) -> None:
    sms = messages.sms(signer_code(), to=TO_PHONE, message_id=MESSAGE_ID)

    assert sms.text == (
        f'{CODE} is your code to sign "Lease for Rue du Rhône 12" from Acme Leasing. '
        "It expires in 10 minutes. Never share it."
    )


def test_a_long_subject_and_sender_are_shortened_to_keep_the_sms_to_one_message(messages: JinjaCodeMessages) -> None:
    code = signer_code(
        subject="Master services agreement between Acme Leasing and Example Corporation, schedule 4, amendment 12",
        sender_name="Acme Leasing International Holdings AG, Zürich Branch Office, Legal Department",
    )
    sms = messages.sms(code, to=TO_PHONE, message_id=MESSAGE_ID)

    assert len(sms.text) <= SMS_LENGTH
    assert sms.text.startswith(f'{CODE} is your code to sign "Master servi')
    assert "..." in sms.text and sms.text.endswith("It expires in 10 minutes. Never share it.")


@pytest.mark.parametrize(
    ("minutes", "english", "arabic"),
    [(1, "1 minute.", "دقيقة واحدة"), (2, "2 minutes.", "دقيقتين"), (10, "10 minutes.", "10 دقائق"),
     (15, "15 minutes.", "15 دقيقة"), (103, "103 minutes.", "103 دقائق")],
)  # fmt: skip
def test_the_minutes_are_counted_as_each_language_counts(
    messages: JinjaCodeMessages, minutes: int, english: str, arabic: str
) -> None:
    assert english in messages.sms(signer_code(minutes_valid=minutes), to=TO_PHONE, message_id=MESSAGE_ID).text
    sms = messages.sms(signer_code(minutes_valid=minutes, language="ar"), to=TO_PHONE, message_id=MESSAGE_ID)
    assert arabic in sms.text


def test_a_subject_cannot_add_lines_markup_or_direction_overrides(messages: JinjaCodeMessages) -> None:
    subject = "Lease\r\nBcc: evil@example.com <b>now</b>\u202e21 \x1b[31m"
    code = signer_code(subject=subject, sender_name="Acme\nLeasing")

    email = messages.email(code, to=TO_EMAIL, message_id=MESSAGE_ID)
    sms = messages.sms(code, to=TO_PHONE, message_id=MESSAGE_ID)

    assert "\n" not in email.subject and "\r" not in email.subject and "\n" not in sms.text
    assert "<b>" not in email.html and "&lt;b&gt;" in email.html
    for text in (email.subject, email.text, email.html, sms.text):
        assert "\u202e" not in text and "\x1b" not in text
    assert email.sender_name == "Acme Leasing"


def test_another_language_falls_back_to_english(messages: JinjaCodeMessages) -> None:
    tags = ("ar", "ar-EG", "AR_sa", "en-GB", "fr", "")
    assert [language_of(tag) for tag in tags] == ["ar", "ar", "ar", "en", "en", "en"]
    sms = messages.sms(signer_code(language="fr-CH"), to=TO_PHONE, message_id=MESSAGE_ID)
    assert "is your code to sign" in sms.text


@pytest.mark.parametrize("overrides", [{"code": ""}, {"code": "48 29 13"}, {"minutes_valid": 0}])
def test_a_code_that_cannot_be_put_into_words_is_refused(
    messages: JinjaCodeMessages, overrides: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        messages.sms(signer_code(**overrides), to=TO_PHONE, message_id=MESSAGE_ID)
    with pytest.raises(ValueError):
        messages.email(signer_code(**overrides), to=TO_EMAIL, message_id=MESSAGE_ID)
