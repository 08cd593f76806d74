"""The PDF inspector against the hostile corpus (tests/hostile_pdf_corpus.py).

Every entry gets the answer the contract gives it: an InvalidDocument whose code says which
kind of refusal, or the page sizes of an ordinary PDF. The inspector is the one the
container builds from the settings, so the limits are the ones an installation configures;
that the reading keeps to its time and memory limits is tests/integration/test_pdf_sandbox.py's.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import pytest

from tests.hostile_pdf_corpus import (
    ACCEPTED,
    BY_ID,
    CORPUS,
    MAX_OBJECTS,
    MAX_PAGES,
    TEST_LIMITS,
    Answer,
    HostilePdf,
    MiB,
    deflate_bomb,
    stacked_bomb,
)
from tests.pdf_in_memory import inspect_bytes
from tests.stack import settings_for
from undersign.application.shared.errors import InvalidDocument
from undersign.entrypoints.container import build_container


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory):
    settings = settings_for(tmp_path_factory.mktemp("hostile") / "data", **TEST_LIMITS)
    return build_container(settings).gateways.pdf_inspector()


def expected(entry: HostilePdf, answers: tuple[Answer, ...]) -> str:
    return f"{entry.id} ({entry.what}): expected {' or '.join(map(str, answers))}"


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry.id)
async def test_the_inspector_answers_each_hostile_pdf(inspector, entry: HostilePdf):
    try:
        info = await inspect_bytes(inspector, entry.pdf())
    except InvalidDocument as error:
        answer, detail = Answer(422, error.code), error.detail
    else:
        answer, detail = ACCEPTED, None

    assert answer in entry.upload, f"{expected(entry, entry.upload)}, got {answer}: {detail!r}"
    if answer == ACCEPTED:
        assert len(info.pages) == entry.pages
        assert all(0 < page.width < 15_000 and 0 < page.height < 15_000 for page in info.pages)
    else:
        assert any(word in detail.lower() for word in entry.words), f"{detail!r} names none of {entry.words}"


# -- the corpus is what it says ------------------------------------------------------------


def test_the_controls_are_ordinary_pdfs_and_the_rest_are_not():
    controls = {entry.id for entry in CORPUS if entry.control}
    assert controls == {entry.id for entry in CORPUS if entry.id.startswith("control-")}
    assert all(entry.pages for entry in CORPUS if ACCEPTED in entry.upload)
    assert all(entry.words for entry in CORPUS if not entry.control), "every refusal says what it names"
    plain = BY_ID["control-plain"].pdf()
    assert plain.startswith(b"%PDF-") and plain.endswith(b"%%EOF\n")


def test_the_polyglots_are_real_zip_archives():
    after = BY_ID["zip-after-eof"].pdf()
    with zipfile.ZipFile(io.BytesIO(after)) as archive:
        assert archive.read("payload/readme.txt").startswith(b"This file is a ZIP archive")
    inside = BY_ID["zip-inside-a-stream"].pdf()
    assert inside.startswith(b"%PDF-") and inside.endswith(b"%%EOF\n")
    with zipfile.ZipFile(io.BytesIO(inside)) as archive:
        assert archive.read("payload/readme.txt").startswith(b"This file is a ZIP archive")
    before = BY_ID["zip-before-header"].pdf()
    assert before.startswith(b"PK\x03\x04") and 0 < before.index(b"%PDF-") < 1024
    # The control holds a ZIP's end-record signature and no archive: zip tools refuse it.
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(BY_ID["control-zip-signature-in-an-image"].pdf()))


def test_the_big_entries_are_as_big_as_they_say():
    assert len(BY_ID["huge-comment-after-eof"].pdf()) == 48 * MiB
    assert BY_ID["huge-comment-after-eof"].pdf().count(b"%%EOF") == 1
    assert b"%%EOF" not in BY_ID["huge-comment-instead-of-eof"].pdf()
    fifty = BY_ID["fifty-thousand-pages"].pdf()
    assert fifty.count(b"/Type /Page ") == 50_000 and len(fifty) < 12 * MiB
    assert BY_ID["count-says-less"].pdf().count(b"/Type /Page ") > MAX_PAGES
    assert BY_ID["control-pages-at-limit"].pdf().count(b"/Type /Page ") == MAX_PAGES
    assert BY_ID["many-objects"].pdf().count(b" 0 obj\n") > MAX_OBJECTS


def test_the_deflate_bomb_inflates_to_exactly_its_size():
    data = deflate_bomb(8 * MiB + 5, prefix=b"hello")
    assert zlib.decompress(data) == b"hello" + b" " * 8 * MiB  # the checksum holds too
    assert zlib.decompress(zlib.decompress(stacked_bomb(4 * MiB, fill=b"\x00"))) == bytes(4 * MiB)


@pytest.mark.parametrize(
    "entry_id",
    ["object-stream-bomb", "object-stream-bomb-stacked", "xref-stream-bomb", "content-stream-bomb",
     "content-stream-bomb-stacked"],
)  # fmt: skip
def test_each_bomb_would_inflate_to_a_gibibyte_from_a_megabyte_or_less(entry_id: str):
    pdf = BY_ID[entry_id].pdf()
    largest = max(re.findall(rb"stream\n(.*?)\nendstream", pdf, re.DOTALL), key=len)
    assert len(largest) <= 1.1 * MiB
    inner = zlib.decompress(largest) if entry_id.endswith("stacked") else largest
    # Inflating all of it takes seconds: 64 MiB tell the ratio, which holds to the end (the blocks repeat).
    inflater = zlib.decompressobj()
    assert len(inflater.decompress(inner, 64 * MiB)) == 64 * MiB
    ratio = 64 * MiB / (len(inner) - len(inflater.unconsumed_tail))
    assert ratio > 1000 and len(inner) * ratio > 1000 * MiB  # ~1 GiB; the first blocks carry the headers
