"""Verifying PDFs and the certificate of completion, over HTTP on the embedded default."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e import api
from tests.pdf_checks import pdfsig_report, require_tool
from tests.pdf_samples import make_pdf
from tests.stack import Stack
from undersign.adapters.signing.dev_pki import load_or_create_dev_pki


async def verify(stack: Stack, pdf: bytes, *, trust_root: bytes | None = None, params: dict | None = None, expect: int = 200):
    files = {"file": ("document.pdf", pdf, "application/pdf")}
    if trust_root is not None:
        files["trust_root"] = ("root.pem", trust_root, "application/x-pem-file")
    response = await stack.client.post("/v1/verify", files=files, params=params or {}, headers=stack.headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_a_completed_envelope_verifies_valid(stack):
    envelope_id, _, pdf = await api.completed_envelope(stack)

    report = await verify(stack, pdf)

    assert report["valid"] is True and report["problems"] == []
    assert all(s["valid"] and s["intact"] and s["trusted"] for s in report["signatures"])
    # Document timestamps (B-LTA) may follow the three signatures: the policy's level decides.
    ada, bob, seal = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert seal["field_name"] == "platform-seal"
    assert (ada["signer"]["name"], ada["signer"]["email"]) == ("Ada Lovelace", "ada.lovelace@example.com")
    assert (bob["signer"]["name"], bob["signer"]["email"]) == ("Bob Babbage", "bob.babbage@example.com")
    assert ada["modifications_after"] == "form_filling" and ada["modifications_permitted"] is True
    assert seal["modifications_after"] in ("none", "validation_data")
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert {s["pades_level"] for s in (ada, bob, seal)} == {envelope["signature_level"].removeprefix("PAdES-")}
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    serials = [e["data"]["certificate_serials"][0] for e in audit["events"] if e["type"] == "SignerSigned"]
    assert [ada["signer"]["certificate_serial"], bob["signer"]["certificate_serial"]] == serials


async def test_a_tampered_document_is_not_valid(stack):
    _, _, pdf = await api.completed_envelope(stack)
    tampered = pdf.replace(b"(Page 1)", b"(Page 7)", 1)
    assert tampered != pdf

    report = await verify(stack, tampered)

    assert report["valid"] is False
    assert "changed after signing" in report["summary"]
    # Every signature and time stamp fails for this reason, and for no other.
    assert [s["kind"] for s in report["signatures"]].count("signature") == 3  # Ada, Bob and the seal
    for signature in report["signatures"]:
        assert (signature["intact"], signature["valid"]) == (False, False), signature
        assert (signature["ades"]["indication"], signature["ades"]["subindication"]) == ("FAILED", "HASH_FAILURE")
        assert [problem for problem in signature["problems"] if "digest does not match" not in problem] == [], signature


async def test_a_caller_can_bring_its_own_trust_root(stack, tmp_path: Path):
    _, _, pdf = await api.completed_envelope(stack)
    foreign, _ = load_or_create_dev_pki(tmp_path / "foreign", datetime.now(UTC))

    untrusted = await verify(stack, pdf, trust_root=foreign.root_cert_path.read_bytes())
    ours = await verify(stack, pdf, trust_root=stack.trust_root.read_bytes())

    assert untrusted["valid"] is False and ours["valid"] is True
    # Not valid because nothing chains to the caller's root: every signature is intact.
    assert [s["kind"] for s in untrusted["signatures"]].count("signature") == 3  # Ada, Bob and the seal
    for signature in untrusted["signatures"]:
        assert (signature["intact"], signature["trusted"], signature["valid"]) == (True, False, False), signature
        ades = signature["ades"]
        assert (ades["indication"], ades["subindication"]) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
        assert [p for p in signature["problems"] if "does not chain to any of the trust anchors" not in p] == []


async def test_a_validation_time_far_ahead_tells_whether_the_document_will_still_verify(stack):
    _, _, pdf = await api.completed_envelope(stack)

    later = await verify(stack, pdf, params={"at": "2100-01-01T00:00:00Z"})

    assert later["validation_time"] == "2100-01-01T00:00:00Z"
    assert later["valid"] is False  # every certificate of the development PKI has expired by then
    # Not valid for want of trust at that time, not for a changed byte: INDETERMINATE, never FAILED.
    assert [s["kind"] for s in later["signatures"]].count("signature") == 3  # Ada, Bob and the seal
    for signature in later["signatures"]:
        assert (signature["intact"], signature["trusted"], signature["valid"]) == (True, False, False), signature
        assert signature["ades"]["indication"] == "INDETERMINATE", signature
        assert [p for p in signature["problems"] if "not trusted" not in p] == [], signature


async def test_a_document_without_signatures_is_not_valid(stack):
    report = await verify(stack, make_pdf())

    assert report["valid"] is False and report["signatures"] == []
    assert report["problems"] == ["the document carries no signatures: there is nothing in it to verify"]


async def test_bad_uploads_are_422_and_an_api_key_is_needed(stack):
    not_pdf = await verify(stack, b"just some text", expect=422)
    assert not_pdf["code"] == "invalid_document"
    damaged = await verify(stack, make_pdf()[:150], expect=422)
    assert damaged["code"] == "invalid_document"
    bad_root = await verify(stack, make_pdf(), trust_root=b"not a certificate", expect=422)
    assert bad_root["code"] == "invalid_trust_root"
    anonymous = await stack.client.post("/v1/verify", files={"file": ("d.pdf", make_pdf(), "application/pdf")})
    assert anonymous.status_code == 401


async def test_trust_roots_are_a_few_certificates_not_a_store(stack):
    root = stack.trust_root.read_bytes()
    too_big = await verify(stack, make_pdf(), trust_root=root * (256 * 1024 // len(root) + 1), expect=422)
    assert too_big["code"] == "invalid_trust_root" and "KiB" in too_big["detail"]
    too_many = await verify(stack, make_pdf(), trust_root=root * 51, expect=422)
    assert too_many["code"] == "invalid_trust_root" and "at most 50" in too_many["detail"]
    at_most = await verify(stack, make_pdf(), trust_root=root * 50)  # accepted: a report on a PDF without signatures
    assert (at_most["valid"], at_most["signatures"]) == (False, [])
    assert at_most["problems"] == ["the document carries no signatures: there is nothing in it to verify"]


# -- the certificate of completion ------------------------------------------------------


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    tool = require_tool("pdftotext")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


async def test_the_certificate_of_completion_is_sealed_and_carries_the_audit_hashes(stack, tmp_path: Path):
    envelope_id, document_id, pdf = await api.completed_envelope(stack)

    response = await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    certificate = response.content
    [seal] = pdfsig_report(certificate, expected=1)
    assert (seal.field_name, seal.valid) == ("platform-seal", True), seal
    assert (await verify(stack, certificate))["valid"] is True

    text = pdftotext(certificate, tmp_path)
    flat = "".join(text.split())  # table cells wrap long values over lines
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    # The trail up to the seal: the event recording the certificate's own making comes after it.
    shown = up_to_the_seal(audit["events"])
    for event in shown:
        assert event["hash"][:16] in flat and event["type"] in text
    assert shown[-1]["hash"] in flat
    envelope = (await stack.client.get(f"/v1/envelopes/{envelope_id}", headers=stack.headers)).json()
    assert envelope_id in flat and "Lease agreement" in text
    assert envelope["documents"][0]["sha256"] in flat and envelope["documents"][0]["current_sha256"] in flat
    for name in ("Ada Lovelace", "Bob Babbage"):
        assert name in text
    signed = [e for e in audit["events"] if e["type"] == "SignerSigned"]
    for event in signed:
        for serial in event["data"]["certificate_serials"]:
            assert serial in flat
    assert "ada.lovelace@example.com" in flat


def up_to_the_seal(events: list[dict]) -> list[dict]:
    types = [e["type"] for e in events]
    return events[: types.index("EnvelopeSealed") + 1]


async def test_the_certificate_of_completion_is_made_once_the_same_bytes_at_every_download(stack):
    envelope_id, _, _ = await api.completed_envelope(stack)
    url = f"/v1/envelopes/{envelope_id}/certificate"

    first = await stack.client.get(url, headers=stack.headers)
    second = await stack.client.get(url, headers=stack.headers)

    assert first.status_code == second.status_code == 200, first.text
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    sha256 = hashlib.sha256(first.content).hexdigest()
    assert first.headers["etag"] == f'"{sha256}"'
    unchanged = await stack.client.get(url, headers={**stack.headers, "If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == first.headers["etag"]
    other = await stack.client.get(url, headers={**stack.headers, "If-None-Match": '"' + "0" * 64 + '"'})
    assert other.status_code == 200 and other.content == first.content

    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    (made,) = [e for e in audit["events"] if e["type"] == "CompletionCertificateMade"]
    assert made["data"]["sha256"] == sha256 and made["data"]["size"] == len(first.content)
    assert audit["events"].index(made) > [e["type"] for e in audit["events"]].index("EnvelopeSealed")
    # Stored under a key made of ids, and still a certificate that verifies.
    assert f"/envelopes/{envelope_id}/" in made["data"]["blob_key"] and made["data"]["blob_key"] in api.stored_files(stack)
    [seal] = pdfsig_report(first.content, expected=1)
    assert (seal.field_name, seal.valid) == ("platform-seal", True), seal
    assert (await verify(stack, first.content))["valid"] is True


async def test_an_envelope_sealed_before_certificates_were_stored_gets_one_made_once(stack):
    envelope_id, _, _ = await api.completed_envelope(stack)
    url = f"/v1/envelopes/{envelope_id}/certificate"
    await stack.client.get(url, headers=stack.headers)  # made by now, by the job or by this download
    # As an envelope sealed before this version left it: no certificate kept.
    await api.write_behind_the_app(
        stack,
        "UPDATE envelopes SET certificate_blob_key = NULL, certificate_sha256 = NULL, certificate_size = NULL, "
        "certificate_made_at = NULL WHERE id = ?", (envelope_id,),
    )  # fmt: skip

    first, second = await asyncio.gather(*(stack.client.get(url, headers=stack.headers) for _ in range(2)))
    third = await stack.client.get(url, headers=stack.headers)

    assert first.status_code == second.status_code == third.status_code == 200, first.text
    assert first.content == second.content == third.content and first.headers["etag"] == third.headers["etag"]
    audit = (await stack.client.get(f"/v1/envelopes/{envelope_id}/audit", headers=stack.headers)).json()
    made = [e for e in audit["events"] if e["type"] == "CompletionCertificateMade"]
    assert len(made) == 2 and made[-1]["data"]["sha256"] == hashlib.sha256(first.content).hexdigest()
    assert audit["chain_valid"] is True
    # The one made before, and the one made now: a download that lost the race left no blob behind.
    assert len([f for f in api.stored_files(stack) if "certificate-of-completion-" in f]) == 2


async def test_the_certificate_exists_only_once_the_envelope_is_completed(stack):
    envelope_id, _ = await api.create_envelope(stack)
    await api.add_signer(stack, envelope_id, "Ada Lovelace")

    draft = await stack.client.get(f"/v1/envelopes/{envelope_id}/certificate", headers=stack.headers)
    missing = await stack.client.get("/v1/envelopes/no-such-envelope/certificate", headers=stack.headers)

    assert draft.status_code == 409 and "completed" in draft.json()["detail"]
    assert missing.status_code == 404
