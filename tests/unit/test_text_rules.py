"""People's text: what names, subjects, reasons, addresses and file names may hold (domain.text)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from undersign.domain.document import Document
from undersign.domain.envelope import MAX_DOCUMENTS, MAX_FIELDS, MAX_RECIPIENTS, Envelope
from undersign.domain.errors import InvalidInput
from undersign.domain.field import FieldKind, PageSize, Placement
from undersign.domain.policy import Routing
from undersign.domain.signer import MAX_ROUTING_ORDER, MAX_SIGNATURE_TEXT_LENGTH, Role
from undersign.domain.text import email_address, file_name, multi_line, single_line

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "a@b.com,c@d.com", "a@b.com;c@d.com", "a@b@c.com", "a@.com", "a@[127.0.0.1]", "a\x00b@example.com",
        "ada@example.com\r\nBcc: eve@example.com", "ada@example", "ada@127.0.0.1", ".ada@example.com",
        "ada.@example.com", "a..da@example.com", '"ada"@example.com', "Ada <ada@example.com>", "ada@-example.com",
        "ada@example-.com", "ada@exa_mple.com", "ada@example..com", "@example.com", "ada@", "", " ",
        "ada lovelace@example.com", "ada@exam ple.com", "a\u202eda@example.com", "x" * 65 + "@example.com",
        "ada@" + "x" * 64 + ".com", "ada@example.com" + "m" * 250,
    ],
)
def test_only_a_single_plain_mailbox_is_an_email_address(address: str) -> None:
    with pytest.raises(InvalidInput):
        email_address(address)


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada+lease@example.co.uk ", "ada+lease@example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("zoë@bücher.example", "zoë@bücher.example"),
        ("محمد@مثال.مصر", "محمد@مثال.مصر"),
        ("王芳@例子.中国", "王芳@例子.中国"),
    ],
)
def test_plain_and_international_addresses_are_kept_in_lower_case(address: str, kept: str) -> None:
    assert email_address(address) == kept


@pytest.mark.parametrize(
    "text", ["Ada\x00", "Ada\x07", "Ada\x1b[31m", "Ada\r\nBcc: x", "Ada\nLovelace", "A\u202eda", "A\ud800", "Ada\u2028Lovelace", "Ada\u2029x"]
)
def test_one_line_of_text_refuses_control_characters_and_overrides(text: str) -> None:
    with pytest.raises(InvalidInput, match="one line"):
        single_line(text, what="a name", max_length=200)


def test_one_line_of_text_keeps_any_script_and_the_marks_arabic_needs() -> None:
    for name in ("Zoë Ŝtraße", "王芳", "محمد\u200f عبد الله", "Łukasz Żółć", "Ada\u200dLovelace"):
        assert single_line(f"  {name} ", what="a name", max_length=200) == name


def test_one_line_of_text_is_bounded_and_required() -> None:
    with pytest.raises(InvalidInput, match="at most 5"):
        single_line("abcdef", what="a name", max_length=5)
    with pytest.raises(InvalidInput, match="empty"):
        single_line("   ", what="a name", max_length=5)
    assert single_line(" ", what="a value", max_length=5, required=False) == ""


def test_several_lines_keep_line_breaks_and_tabs_but_no_other_control_character() -> None:
    assert multi_line("Dear Ada,\r\n\tplease sign.\n", what="the message", max_length=100) == "Dear Ada,\n\tplease sign."
    for text in ("Hi\x00there", "Hi\x1bthere", "Hi\x7fthere", "Hi\x85there"):
        with pytest.raises(InvalidInput, match="control characters"):
            multi_line(text, what="the message", max_length=100)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("lease.pdf", "lease.pdf"),
        ("a\r\nb.pdf", "a__b.pdf"),
        ("evil\x00.pdf", "evil_.pdf"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Users\\ada\\lease.pdf", "C:_Users_ada_lease.pdf"),
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),
        ("عقد الإيجار.pdf", "عقد الإيجار.pdf"),
        ("\x00\r\n", "___"),
        ("   ", "document.pdf"),
        ("...", "document.pdf"),
    ],
)
def test_file_names_are_made_safe_to_keep_and_show(sent: str, kept: str) -> None:
    assert file_name(sent, max_length=255, default="document.pdf") == kept


def test_a_document_keeps_a_safe_name_whatever_was_uploaded() -> None:
    document = Document.upload(
        document_id="d", tenant_id="t", envelope_id="e", filename="lease\r\n.pdf" + "x" * 300,
        pages=[PageSize(width=595, height=842)], blob_key="k", sha256="0" * 64, size=1, now=NOW,
    )
    assert "\r" not in document.filename and "\n" not in document.filename and len(document.filename) == 255


def draft() -> Envelope:
    return Envelope.create(envelope_id="e", tenant_id="t", subject="Lease", message="", routing=Routing.SEQUENTIAL, now=NOW, actor="a")


@pytest.mark.parametrize("subject", ["Lease\x00", "Lease\r\nBcc: x", "Lease\x1b", "x" * 201])
def test_a_subject_is_one_line_of_text(subject: str) -> None:
    with pytest.raises(InvalidInput):
        Envelope.create(envelope_id="e", tenant_id="t", subject=subject, message="", routing=Routing.SEQUENTIAL, now=NOW, actor="a")


@pytest.mark.parametrize("name", ["Ada\x00", "Ada\nLovelace", "Ada\x07", "x" * 201, " "])
def test_a_recipients_name_is_one_line_of_text(name: str) -> None:
    with pytest.raises(InvalidInput):
        draft().add_signer(signer_id="s", name=name, email="ada@example.com", role=Role.SIGNER, routing_order=None, now=NOW, actor="a")


@pytest.mark.parametrize("order", [0, -1, MAX_ROUTING_ORDER + 1, 2**63])
def test_a_routing_order_is_bounded(order: int) -> None:
    with pytest.raises(InvalidInput, match="routing_order"):
        draft().add_signer(signer_id="s", name="Ada", email="ada@example.com", role=Role.SIGNER, routing_order=order, now=NOW, actor="a")


def test_an_envelope_holds_a_bounded_number_of_documents_recipients_and_fields() -> None:
    envelope = draft()
    for n in range(MAX_DOCUMENTS):
        envelope.add_document(document_id=f"d{n}", filename="x.pdf", now=NOW, actor="a")
    with pytest.raises(InvalidInput, match=f"at most {MAX_DOCUMENTS} documents"):
        envelope.add_document(document_id="one-more", filename="x.pdf", now=NOW, actor="a")

    for n in range(MAX_RECIPIENTS):
        envelope.add_signer(signer_id=f"s{n}", name=f"R {n}", email=f"r{n}@example.com", role=Role.SIGNER, routing_order=1, now=NOW, actor="a")
    with pytest.raises(InvalidInput, match=f"at most {MAX_RECIPIENTS} recipients"):
        envelope.add_signer(signer_id="one-more", name="X", email="x@example.com", role=Role.SIGNER, routing_order=1, now=NOW, actor="a")

    page, spot = [PageSize(width=595, height=842)], Placement(page=1, x=1, y=1, width=10, height=10)
    for n in range(MAX_FIELDS):
        envelope.place_field(field_id=f"f{n}", document_id="d0", signer_id="s0", kind=FieldKind.TEXT, placement=spot,
                             required=False, pages=page, now=NOW, actor="a")
    with pytest.raises(InvalidInput, match=f"at most {MAX_FIELDS} fields"):
        envelope.place_field(field_id="one-more", document_id="d0", signer_id="s0", kind=FieldKind.TEXT, placement=spot,
                             required=False, pages=page, now=NOW, actor="a")


def sent_to_ada() -> Envelope:
    from undersign.domain.policy import default_policy

    envelope = draft()
    envelope.add_document(document_id="d", filename="x.pdf", now=NOW, actor="a")
    envelope.add_signer(signer_id="s", name="Ada", email="ada@example.com", role=Role.SIGNER, routing_order=None, now=NOW, actor="a")
    envelope.send(policy=default_policy(policy_id="p", tenant_id="t"), now=NOW, actor="a")
    return envelope


@pytest.mark.parametrize("text", ["Ada\x00", "Ada\nLovelace", "\x1b[2J", "x" * (MAX_SIGNATURE_TEXT_LENGTH + 1), "   "])
def test_a_typed_signature_is_one_line_of_a_names_length(text: str) -> None:
    with pytest.raises(InvalidInput, match="signature text"):
        sent_to_ada().resolve_field_values(signer_id="s", values={}, signature_text=text, now=NOW)


@pytest.mark.parametrize("reason", ["\x00", "Wrong\x1bfile", "x" * 2001])
def test_reasons_to_decline_or_void_are_text_without_control_characters(reason: str) -> None:
    with pytest.raises(InvalidInput):
        sent_to_ada().void(reason=reason, now=NOW, actor="a")
    with pytest.raises(InvalidInput):
        sent_to_ada().decline(signer_id="s", reason=reason, now=NOW, actor="s")


def test_an_address_refused_is_quoted_up_to_80_characters() -> None:
    with pytest.raises(InvalidInput, match="^'ada.example.com' is not an email address like name@example.com$"):
        email_address("Ada.example.com")
    long = "x" * 100 + "@"
    with pytest.raises(InvalidInput) as refused:
        email_address(long)
    assert refused.value.detail == f"{'x' * 80!r} is not an email address like name@example.com"
