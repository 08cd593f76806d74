"""Uploads at their edges, over HTTP: multipart bodies that bend the format, file names
that are not names, and PDFs that lie about their own structure (tests/lying_pdfs.py),
which, when the upload takes them, must go on through placing a field, sending and
signing. Each answer a 2xx or a 4xx problem with a stable code, never a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.edge_stack import Http, assert_answered, failures, http  # noqa: F401
from tests.e2e.edge_values import BIDI_OVERRIDES, EDGES, edge_strings, refused_character
from tests.lying_pdfs import lying_pdfs
from tests.pdf_samples import make_pdf

# The app's background jobs (retry jitter) use the `random` module from its own thread while
# Hypothesis draws examples here; Hypothesis takes that for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


# --- multipart uploads -------------------------------------------------------------------


def _multipart(*parts: bytes, boundary: bytes = b"edge") -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"


def _part(headers: bytes, content: bytes) -> bytes:
    return headers + b"\r\n\r\n" + content


PDF = make_pdf()
MULTIPART_BODIES: list[tuple[str, bytes, bytes]] = [
    ("no filename, non-UTF-8 content", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"', b"\xff\xfe\x00\x80" + PDF))),
    ("no filename, a PDF", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"', PDF))),
    ("no filename, text", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"', b"hello"))),
    ("empty filename", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/pdf', PDF))),
    ("two file parts", b"multipart/form-data; boundary=edge",
     _multipart(*[_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF)] * 2)),
    ("no parts", b"multipart/form-data; boundary=edge", b"--edge--\r\n"),
    ("no closing boundary", b"multipart/form-data; boundary=edge",
     b'--edge\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n' + PDF),
    ("no boundary parameter", b"multipart/form-data",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF))),
    ("another boundary", b"multipart/form-data; boundary=other",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF))),
    ("an empty boundary", b'multipart/form-data; boundary=""', b"----\r\n"),
    ("a boundary of 10,000 characters", b"multipart/form-data; boundary=" + b"b" * 10_000,
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF), boundary=b"b" * 10_000)),
    ("no Content-Disposition", b"multipart/form-data; boundary=edge", _multipart(_part(b"Content-Type: application/pdf", PDF))),
    ("a part without headers", b"multipart/form-data; boundary=edge", _multipart(b"\r\n" + PDF)),
    ("a filename in latin-1", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="r\xe9sum\xe9.pdf"', PDF))),
    ("a filename with invalid UTF-8", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="\xff\xfe.pdf"', PDF))),
    ("an RFC 2231 filename with CR LF", b"multipart/form-data; boundary=edge",
     _multipart(_part(b"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%0D%0AX-Evil%3A%201.pdf", PDF))),
    ("an RFC 2231 filename with NUL", b"multipart/form-data; boundary=edge",
     _multipart(_part(b"Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00.pdf", PDF))),
    ("an RFC 2231 filename in an unknown charset", b"multipart/form-data; boundary=edge",
     _multipart(_part(b"Content-Disposition: form-data; name=\"file\"; filename*=klingon''a.pdf", PDF))),
    ("a name parameter with a quote", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="fi\\"le"; filename="a.pdf"', PDF))),
    ("a part header of 100,000 bytes", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\nX-Pad: ' + b"x" * 100_000, PDF))),
    ("10,000 parts", b"multipart/form-data; boundary=edge",
     _multipart(*[_part(b'Content-Disposition: form-data; name="x"', b"1")] * 10_000)),
    ("a charset the parser does not know", b"multipart/form-data; boundary=edge; charset=klingon",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF))),
    ("a trust root that is not text", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF),
                _part(b'Content-Disposition: form-data; name="trust_root"', b"\xff\xfe\x00"))),
    ("a trust root as a file of garbage", b"multipart/form-data; boundary=edge",
     _multipart(_part(b'Content-Disposition: form-data; name="file"; filename="a.pdf"', PDF),
                _part(b'Content-Disposition: form-data; name="trust_root"; filename="r.pem"', b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))),
    ("JSON, not multipart", b"application/json", b'{"file": "x"}'),
]


@pytest.mark.parametrize("target", ["documents", "verify"])
@pytest.mark.parametrize(("case", "content_type", "content"), MULTIPART_BODIES, ids=[c for c, _, _ in MULTIPART_BODIES])
def test_multipart_uploads_at_their_edges(http: Http, target: str, case: str, content_type: bytes, content: bytes) -> None:
    if target == "documents":
        url = f"/v1/envelopes/{http.resource('draft')['envelope_id']}/documents"
    else:
        url = "/v1/verify"
    response = http.request("POST", url, content=content, headers={**http.stack.headers, "content-type": content_type})
    assert_answered(response, f"{target}: {case}")
    if target == "documents" and response.status_code == 201:
        document = response.json()
        envelope_id = http.resource("draft")["envelope_id"]
        download = http.request(
            "GET", f"/v1/envelopes/{envelope_id}/documents/{document['id']}/content", headers=http.stack.headers
        )
        assert download.status_code == 200, f"{case}: the upload cannot be downloaded: {download.status_code}"
        disposition = download.headers["content-disposition"]
        assert not any(refused_character(c) for c in disposition), (case, disposition)
        http.used_up("draft")  # a draft holds at most so many documents


@EDGES
@given(filename=st.one_of(edge_strings(), st.sampled_from(["../../etc/passwd", "a/b\\c.pdf", "CON", "a.pdf\x00.exe", "\u202efdp.exe"])))
def test_uploaded_file_names_at_their_edges_come_back_safe(http: Http, filename: str) -> None:
    envelope_id = http.resource("draft")["envelope_id"]
    encoded = filename.encode("utf-8", "surrogatepass")
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + encoded.replace(b'"', b"%22").replace(b"\r", b"%0D").replace(b"\n", b"%0A") + b'"'
    content = _multipart(_part(disposition + b"\r\nContent-Type: application/pdf", PDF))
    response = http.request(
        "POST", f"/v1/envelopes/{envelope_id}/documents", content=content,
        headers={**http.stack.headers, "content-type": "multipart/form-data; boundary=edge"},
    )
    assert_answered(response, f"filename {filename!r:.100}")
    if response.status_code == 201:
        stored = response.json()["filename"]
        assert stored and not any(refused_character(c) or c in BIDI_OVERRIDES or c in "/\\" for c in stored), stored
        download = http.request(
            "GET", f"/v1/envelopes/{envelope_id}/documents/{response.json()['id']}/content", headers=http.stack.headers
        )
        assert download.status_code == 200, f"filename {filename!r:.100}: {download.status_code} {download.text[:200]}"
        http.used_up("draft")


# --- PDFs that lie about their structure ------------------------------------------------


def _sign_through(http: Http, envelope_id: str, document_id: str, name: str) -> None:
    """A PDF the upload took goes all the way: a field on it, sent, signed. No step may be a 5xx."""
    headers = http.stack.headers
    steps = [
        ("POST", f"/v1/envelopes/{envelope_id}/signers", {"name": "Ada Lovelace", "email": "ada@example.com"}),
    ]
    signer = http.request(*steps[0][:2], json=steps[0][2], headers=headers)
    assert_answered(signer, f"{name}: add a signer")
    placed = http.request(
        "POST", f"/v1/envelopes/{envelope_id}/fields", headers=headers,
        json={"document_id": document_id, "signer_id": signer.json()["id"], "kind": "signature",
              "page": 1, "x": 10, "y": 10, "width": 100, "height": 30},
    )
    assert_answered(placed, f"{name}: place a field")
    if placed.status_code != 201:
        return
    sent = http.request("POST", f"/v1/envelopes/{envelope_id}/send", headers=headers)
    assert_answered(sent, f"{name}: send")
    link = http.request("POST", f"/v1/envelopes/{envelope_id}/signers/{signer.json()['id']}/signing-link", headers=headers)
    assert_answered(link, f"{name}: a signing link")
    if link.status_code != 201:
        return
    token = link.json()["token"]
    opened = http.request("GET", f"/v1/signing/{token}")
    assert_answered(opened, f"{name}: open the signing session")
    signed = http.request(
        "POST", f"/v1/signing/{token}/sign", json={"signature": {"kind": "typed", "text": "Ada Lovelace"}, "consent": True}
    )
    assert_answered(signed, f"{name}: sign")
    content = http.request("GET", f"/v1/envelopes/{envelope_id}/documents/{document_id}/content", headers=headers)
    assert_answered(content, f"{name}: download")


@pytest.mark.parametrize("target", ["documents", "verify"])
def test_pdfs_that_lie_about_their_structure_are_answered(http: Http, target: str) -> None:
    def checks() -> Iterator[tuple[str, Callable[[], None]]]:
        for name, pdf in lying_pdfs():

            def check(name: str = name, pdf: bytes = pdf) -> None:
                if target == "documents":
                    url = f"/v1/envelopes/{http.resource('draft')['envelope_id']}/documents"
                else:
                    url = "/v1/verify"
                response = http.request("POST", url, files={"file": ("x.pdf", pdf, "application/pdf")}, headers=http.stack.headers)
                assert_answered(response, f"{target}: {name}")
                if target == "documents" and response.status_code == 201:
                    envelope_id = http.resource("draft")["envelope_id"]
                    http.used_up("draft")
                    _sign_through(http, envelope_id, response.json()["id"], name)

            yield name, check

    failed = failures(checks())
    assert not failed, f"{target}: {len(failed)} PDFs not answered as they must be:\n" + "\n".join(failed)
