"""PDFs well-formed enough to be read that lie about their own structure: a trailer's
/Encrypt that is not a dictionary, a /Root that is not a catalog, page trees that loop,
impossible counts and boxes. Each is tests/pdf_samples.make_pdf with bytes swapped for as
many (so every cross-reference offset still holds), or with its trailer edited (it comes
after everything the offsets point at). Small and quick to make, so the fuzzing and the
edge tests use them freely; tests/hostile_pdf_corpus.py is the full corpus of issue 10.
"""

from __future__ import annotations

from tests.pdf_samples import make_pdf

# (name, what to find, what to put instead, padded with white space to the same length).
_BODY_CHANGES = [
    ("page tree whose kid is itself", b"/Kids [ 6 0 R ]", b"/Kids [ 2 0 R ]"),
    ("page whose parent is itself", b"/Parent 2 0 R", b"/Parent 6 0 R"),
    ("catalog whose pages are the catalog", b"/Pages 2 0 R", b"/Pages 1 0 R"),
    ("catalog whose pages are a page", b"/Pages 2 0 R", b"/Pages 6 0 R"),
    ("catalog whose pages are a stream", b"/Pages 2 0 R", b"/Pages 5 0 R"),
    ("catalog whose pages do not exist", b"/Pages 2 0 R", b"/Pages 9 0 R"),
    ("page count of 9 for 1 page", b"/Count 1", b"/Count 9"),
    ("page count of 0", b"/Count 1", b"/Count 0"),
    ("pages node that is not a Pages node", b"/Type /Pages", b"/Type /Pagex"),
    ("page that is not a Page", b"/Type /Page\n", b"/Type /Pagx\n"),
    ("empty media box", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [ 0 0 000 000 ]"),
    ("negative media box", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [ 0 0 -95 -42 ]"),
    ("media box of names", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [ /a /b /c /d ]"),
    ("media box of three numbers", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [ 0 0 595 ]"),
    ("media box that is a number", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox 7"),
    ("media box of 9999999 points", b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [0 0 9999999 9]"),
    ("contents that are a font", b"/Contents 5 0 R", b"/Contents 4 0 R"),
    ("stream longer than it is", b"/Length 37", b"/Length 99"),
    ("stream of negative length", b"/Length 37", b"/Length -7"),
]
_TRAILER_CHANGES = [
    ("/Encrypt that is a number", b"/Encrypt 42"),
    ("/Encrypt that is a string", b"/Encrypt (x)"),
    ("/Encrypt that is an array", b"/Encrypt [ 1 2 ]"),
    ("/Encrypt that is a stream", b"/Encrypt 5 0 R"),
    ("/Encrypt that is a font dictionary", b"/Encrypt 4 0 R"),
    ("/Encrypt that does not exist", b"/Encrypt 99 0 R"),
    ("/Encrypt that is null", b"/Encrypt null"),
    ("/Encrypt with no filter", b"/Encrypt << /V 5 >>"),
    ("/Encrypt with an unknown filter", b"/Encrypt << /Filter /Nope /V 99 /R 99 >>"),
]
_ROOT = b"/Root 1 0 R"
_ROOT_CHANGES = [
    ("/Root that is a page", b"/Root 6 0 R"),
    ("/Root that is a stream", b"/Root 5 0 R"),
    ("/Root that does not exist", b"/Root 99 0 R"),
    ("/Root that is a number", b"/Root 1"),
    ("/Root that is the cross-reference stream", b"/Root 8 0 R"),
]


def lying_pdfs() -> list[tuple[str, bytes]]:
    pdf = make_pdf()
    trailer_at = pdf.rindex(b"/Type /XRef")
    made = []
    for name, old, new in _BODY_CHANGES:
        assert len(new) <= len(old) and old in pdf[:trailer_at], name
        made.append((name, pdf.replace(old, new.ljust(len(old)), 1)))  # white space keeps the length
    for name, entry in _TRAILER_CHANGES:
        made.append((name, pdf[:trailer_at] + pdf[trailer_at:].replace(_ROOT, _ROOT + b"\n" + entry, 1)))
    for name, root in _ROOT_CHANGES:
        made.append((name, pdf[:trailer_at] + pdf[trailer_at:].replace(_ROOT, root, 1)))
    made.append(("an object nested 10,000 arrays deep", _with_info_entry(pdf, b"/Deep " + b"[" * 10_000 + b"]" * 10_000)))
    made.append(("a string of 1 MB in the trailer", _with_info_entry(pdf, b"/Big (" + b"x" * 1_000_000 + b")")))
    return made


def _with_info_entry(pdf: bytes, entry: bytes) -> bytes:
    trailer_at = pdf.rindex(b"/Type /XRef")
    return pdf[:trailer_at] + pdf[trailer_at:].replace(_ROOT, _ROOT + b"\n" + entry, 1)
