"""A drawn (or uploaded) signature image in the signature's box: embedded with its transparency, signatures valid.

And the images the adapter refuses, each with the same stable error (a 422), never a
signing failure: not a PNG, too big, damaged, animated.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import pikepdf
import pytest
import pytest_asyncio
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from tests.font_checks import base_font_names, drawn_order, fonts_added, pdftotext
from tests.pdf_checks import assert_trusted, pdfsig_report, pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from tests.pdfa_checks import form_problems, make_pdfa_pdf, pikepdf_objections
from tests.signing_requests import box
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.signature_images import read_signature_image
from undersign.application.shared.errors import InvalidSignatureImage
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel

NOW = datetime.now(UTC)
ARABIC_NAME, CHINESE_NAME = "محمد بن علي", "王芳"
DRAWN_SIZE = (400, 150)


def _drawing(size: tuple[int, int] = DRAWN_SIZE, mode: str = "RGBA", **save: object) -> bytes:
    """A blue stroke on a transparent background, as a signing page's canvas exports it."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    width, height = size
    ImageDraw.Draw(image).line(
        [(width * 0.05, height * 0.8), (width * 0.35, height * 0.15), (width * 0.6, height * 0.85), (width * 0.95, 10)],
        fill=(20, 40, 160, 255), width=max(1, height // 25),
    )  # fmt: skip
    out = BytesIO()
    (image if mode == "RGBA" else image.convert(mode)).save(out, "PNG", **save)
    return out.getvalue()


def _fields(signer_id: str, name: str) -> list[Field]:
    return [
        box(f"{signer_id}-sig", signer_id, FieldKind.SIGNATURE, 100, name),
        box(f"{signer_id}-sig2", signer_id, FieldKind.SIGNATURE, 300, name),
        box(f"{signer_id}-initials", signer_id, FieldKind.INITIALS, 500, "AE"),
    ]


def _request(signer_id: str, name: str, fields: list[Field], image: bytes | None, **kwargs: object) -> SignatureRequest:
    return SignatureRequest(
        signer_id=signer_id, name=name, email=f"{signer_id}@example.com", signature_text=name, fields=fields,
        at=NOW, level=kwargs.pop("level", SignatureLevel.PADES_B_B), signature_image=image,
    )  # fmt: skip


async def _signed(signer: InMemoryPdfSigner, pdf: bytes, name: str, image: bytes | None, **kwargs: object) -> bytes:
    fields = _fields("a", name)
    prepared = await signer.prepare(pdf, fields)
    return (await signer.sign(prepared, _request("a", name, fields, image, **kwargs))).pdf


def _images_in_appearance(pdf: bytes, field_name: str) -> list[pikepdf.Stream]:
    """Every image XObject the widget's normal appearance draws (through nested forms too)."""
    with pikepdf.open(BytesIO(pdf)) as document:
        for page in document.pages:
            for annotation in page.obj.get("/Annots", []):
                if str(annotation.get("/T", "")) == field_name:
                    found: list[pikepdf.Stream] = []
                    _collect_images(annotation.AP.N, found, seen=set())
                    return [_copy(image) for image in found]
    raise AssertionError(f"no widget named {field_name}")


def _collect_images(xobject: pikepdf.Stream, found: list, seen: set) -> None:
    if xobject.objgen in seen and xobject.objgen != (0, 0):
        return
    seen.add(xobject.objgen)
    for child in xobject.get("/Resources", {}).get("/XObject", {}).values():
        if child.get("/Subtype") == "/Image":
            found.append(child)
        elif child.get("/Subtype") == "/Form":
            _collect_images(child, found, seen)


def _copy(image: pikepdf.Stream) -> dict:
    smask = image.get("/SMask")
    return {
        "size": (int(image.Width), int(image.Height)),
        "colour_space": str(image.ColorSpace),
        "smask": None if smask is None else (int(smask.Width), int(smask.Height), str(smask.ColorSpace)),
    }


# -- a drawn signature, signed and sealed -----------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sealed(signer: InMemoryPdfSigner) -> bytes:
    """Ann signs with a drawn image in two signature boxes and an initials box; Bob types; the seal."""
    ann, bob = _fields("a", "Ann Example"), [box("b-sig", "b", FieldKind.SIGNATURE, 650, "Bob Example")]
    pdf = await signer.prepare(make_pdf(), [*ann, *bob])
    pdf = (await signer.sign(pdf, _request("a", "Ann Example", ann, _drawing()))).pdf
    pdf = (await signer.sign(pdf, _request("b", "Bob Example", bob, None))).pdf
    return await signer.seal(pdf, SignatureLevel.PADES_B_B)


def test_every_signature_stays_valid_for_pyhanko_and_poppler(sealed: bytes, pki: DevPki) -> None:
    report = pdfsig_report(sealed, expected=3)
    assert [(s.field_name, s.valid) for s in report] == [
        ("sig-a-sig", True), ("sig-b-sig", True), ("platform-seal", True),
    ]  # fmt: skip
    statuses = pyhanko_statuses(sealed, pki.root_cert_path)
    assert len(statuses) == 3
    for status in statuses:
        assert_trusted(status)
        assert status.docmdp_ok, status.summary


def test_the_signature_box_shows_the_image_with_its_transparency(sealed: bytes) -> None:
    assert _images_in_appearance(sealed, "sig-a-sig") == [
        {"size": DRAWN_SIZE, "colour_space": "/DeviceRGB", "smask": (*DRAWN_SIZE, "/DeviceGray")}
    ]


def test_the_signers_further_signature_box_shows_it_too_and_initials_keep_their_text(sealed: bytes) -> None:
    assert [image["size"] for image in _images_in_appearance(sealed, "signature-a-sig2")] == [DRAWN_SIZE]
    assert _images_in_appearance(sealed, "initials-a-initials") == []
    assert _images_in_appearance(sealed, "sig-b-sig") == []  # Bob typed


def test_the_caption_names_the_signer_and_the_typed_name_gives_way_to_the_image(sealed: bytes) -> None:
    text = pdftotext(sealed)

    assert "Signed by Ann Example" in text
    assert "AE" in text  # the initials
    assert "Signed by Bob Example" in text


def test_the_image_is_rendered_where_the_box_is(sealed: bytes, tmp_path) -> None:
    import subprocess

    from tests.pdf_checks import require_tool

    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    subprocess.run([require_tool("pdftoppm"), "-r", "72", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                   check=True, timeout=60)  # fmt: skip
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    # The first box: 160 x 40 at (60, 100) from the top left; the stroke is blue.
    inside = page.crop((60, 100, 220, 140)).tobytes()
    pixels = zip(inside[0::3], inside[2::3], strict=True)
    assert any(blue > 120 and red < 80 for red, blue in pixels)


# -- names in other scripts, other levels, PDF/A -------------------------------------


@pytest.mark.parametrize("name", [ARABIC_NAME, CHINESE_NAME])
async def test_a_name_in_any_script_is_captioned_under_the_image(
    signer: InMemoryPdfSigner, pki: DevPki, name: str
) -> None:
    prepared = await signer.prepare(make_pdf(), _fields("a", name))
    signed = await _signed(signer, make_pdf(), name, _drawing())

    assert [s.valid for s in pdfsig_report(signed, expected=1)] == [True]
    assert_trusted(pyhanko_statuses(signed, pki.root_cert_path)[0])
    assert f"Signed by {drawn_order(name)}" in pdftotext(signed)
    added = fonts_added(prepared, signed)
    assert {row["emb"] for row in added} == {"yes"}
    assert base_font_names(added) >= {"NotoSans-Regular"}


async def test_a_time_stamped_signature_with_an_image_is_valid(signer: InMemoryPdfSigner, pki: DevPki) -> None:
    signed = await _signed(signer, make_pdf(), "Ann Example", _drawing(), level=SignatureLevel.PADES_B_T)

    assert [s.valid for s in pdfsig_report(signed, expected=1)] == [True]
    status = pyhanko_statuses(signed, pki.root_cert_path)[0]
    assert_trusted(status)
    assert status.timestamp_valid


@pytest.mark.parametrize("part", [1, 2])
async def test_a_pdfa_document_gets_the_image_flattened_in_gray_and_stays_pdfa(
    signer: InMemoryPdfSigner, pki: DevPki, part: int
) -> None:
    signed = await _signed(signer, make_pdfa_pdf(part), "Ann Example", _drawing())

    assert _images_in_appearance(signed, "sig-a-sig") == [{"size": DRAWN_SIZE, "colour_space": "/DeviceGray", "smask": None}]
    assert form_problems(signed) == []
    assert pikepdf_objections(signed, part) == []
    assert [s.valid for s in pdfsig_report(signed, expected=1)] == [True]


async def test_a_box_too_small_for_the_caption_shows_the_image_alone(signer: InMemoryPdfSigner) -> None:
    small = [replace(box("a-sig", "a", FieldKind.SIGNATURE, 100, "Ann"), placement=Placement(page=1, x=60, y=100,
                                                                                             width=60, height=20))]
    prepared = await signer.prepare(make_pdf(), small)
    signed = (await signer.sign(prepared, _request("a", "Ann Example", small, _drawing()))).pdf

    assert [image["size"] for image in _images_in_appearance(signed, "sig-a-sig")] == [DRAWN_SIZE]
    assert "Signed by" not in pdftotext(signed)
    assert [s.valid for s in pdfsig_report(signed, expected=1)] == [True]


# -- what the decoder accepts and how ---------------------------------------------------


@pytest.mark.parametrize(("mode", "decoded"), [("RGBA", "RGBA"), ("RGB", "RGBA"), ("P", "RGBA"), ("L", "LA"),
                                               ("LA", "LA"), ("1", "LA"), ("I;16", "LA")])  # fmt: skip
def test_any_png_colour_type_is_decoded_to_pixels_with_alpha(mode: str, decoded: str) -> None:
    image = read_signature_image(_drawing(mode=mode))

    assert (image.mode, image.size) == (decoded, DRAWN_SIZE)


def test_nothing_but_the_pixels_is_kept() -> None:
    metadata = PngInfo()
    metadata.add_text("Comment", "secret-location-47.3N")
    image = read_signature_image(_drawing(pnginfo=metadata, icc_profile=b"not really a profile"))

    assert image.info == {}


async def test_the_metadata_does_not_reach_the_pdf(signer: InMemoryPdfSigner) -> None:
    metadata = PngInfo()
    metadata.add_text("Comment", "secret-location-47.3N")

    signed = await _signed(signer, make_pdf(), "Ann Example", _drawing(pnginfo=metadata))

    assert b"secret-location" not in signed
    with pikepdf.open(BytesIO(signed)) as document:
        assert all(b"secret-location" not in obj.read_bytes() for obj in document.objects
                   if isinstance(obj, pikepdf.Stream))  # fmt: skip


# -- refusals ---------------------------------------------------------------------------


def _with_idat(png: bytes, replace: bytes, *, fix_crc: bool) -> bytes:
    """The PNG with its first IDAT chunk's data replaced (same length), its CRC fixed or not."""
    at = png.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", png, at)
    data = replace[:length].ljust(length, b"\x00")
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + data)) if fix_crc else png[at + 8 + length : at + 12 + length]
    return png[: at + 8] + data + crc + png[at + 12 + length :]


def _animated() -> bytes:
    first, second = Image.open(BytesIO(_drawing())), Image.open(BytesIO(_drawing(mode="RGBA")))
    out = BytesIO()
    first.save(out, "PNG", save_all=True, append_images=[second.rotate(90)])
    return out.getvalue()


REFUSED = {
    "a JPEG": (lambda: _jpeg(), "not a PNG"),
    "text": (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a PNG"),
    "too wide": (lambda: _drawing(size=(2001, 50)), "2001x50"),
    "too tall": (lambda: _drawing(size=(100, 1001)), "100x1001"),
    "damaged pixel data": (lambda: _with_idat(_drawing(), b"\x78\x9c garbage" * 50, fix_crc=True), "decoded"),
    "a bad checksum": (lambda: _with_idat(_drawing(), b"\x00" * 4000, fix_crc=False), "decoded"),
    "cut short": (lambda: _drawing()[:200], "cut short"),
    "too many bytes": (lambda: _noise((600, 600)), "at most 524288"),
    "animated": (lambda: _animated(), "animated"),
}


def _jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "JPEG")
    return out.getvalue()


def _noise(size: tuple[int, int]) -> bytes:
    import random

    rng = random.Random(4)
    out = BytesIO()
    Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("case", list(REFUSED))
async def test_an_image_that_is_not_a_sane_png_is_refused_with_the_stable_code(
    signer: InMemoryPdfSigner, case: str
) -> None:
    make, why = REFUSED[case]
    fields = _fields("a", "Ann Example")
    prepared = await signer.prepare(make_pdf(), fields)

    with pytest.raises(InvalidSignatureImage, match=why) as refused:
        await signer.sign(prepared, _request("a", "Ann Example", fields, make()))

    assert refused.value.code == "invalid_signature_image"


def test_a_decompression_bomb_is_refused_before_it_inflates() -> None:
    """A header that promises a huge image over a few bytes of pixels: refused from the header alone."""
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 6, 0, 0, 0)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))  # noqa: E731
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1_000_000)) + chunk(
        b"IEND", b""
    )

    with pytest.raises(InvalidSignatureImage, match="60000x60000"):
        read_signature_image(bomb)


async def test_on_a_rotated_page_the_image_is_drawn_upright_and_the_signature_holds(
    signer: InMemoryPdfSigner, pki: DevPki
) -> None:
    signed = await _signed(signer, make_pdf(rotate=90), "Ann Example", _drawing())

    assert [image["size"] for image in _images_in_appearance(signed, "sig-a-sig")] == [DRAWN_SIZE]
    assert [s.valid for s in pdfsig_report(signed, expected=1)] == [True]
    assert_trusted(pyhanko_statuses(signed, pki.root_cert_path)[0])
    with pikepdf.open(BytesIO(signed)) as document:
        widget = next(a for a in document.pages[0].obj.Annots if str(a.get("/T")) == "sig-a-sig")
        assert [float(n) for n in widget.AP.N.Matrix] == [0, 1, -1, 0, 0, 0]


async def test_a_signer_without_a_box_signs_invisibly_with_an_image_too(signer: InMemoryPdfSigner, pki: DevPki) -> None:
    signed = (await signer.sign(make_pdf(), _request("a", "Ann Example", [], _drawing()))).pdf

    assert [(s.field_name, s.valid) for s in pdfsig_report(signed, expected=1)] == [("sig-a", True)]
    assert_trusted(pyhanko_statuses(signed, pki.root_cert_path)[0])
