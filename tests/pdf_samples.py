"""Sample PDFs for tests, written with pyHanko's own writer (no extra dependency)."""

from __future__ import annotations

import os
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.basic import get_courier
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

A4 = (595.0, 842.0)


def make_pdf(
    pages: int = 1,
    size: tuple[float, float] = A4,
    rotate: int = 0,
    *,
    crop_box: tuple[float, float, float, float] | None = None,
) -> bytes:
    """A PDF of `pages` pages of `size` points, each saying "Page N", optionally rotated or cropped."""
    writer = _writer_with_pages(pages, size, rotate, crop_box)
    return _write(writer)


def make_encrypted_pdf(user_password: str = "") -> bytes:
    """A one-page PDF encrypted with AES-256; the default empty user password opens it without asking."""
    writer = _writer_with_pages(1, A4, 0, None)
    writer.encrypt(owner_pass="owner-secret", user_pass=user_password)
    return _write(writer)


def make_damaged_pdf() -> bytes:
    """Starts like a PDF, but the body is cut off: no cross-reference table, no trailer."""
    return make_pdf()[:120]


def make_pdf_without_pages() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    return _write(PdfFileWriter())


def _writer_with_pages(
    pages: int,
    size: tuple[float, float],
    rotate: int,
    crop_box: tuple[float, float, float, float] | None,
) -> PdfFileWriter:
    writer = PdfFileWriter()
    font = writer.add_object(get_courier(writer))
    width, height = size
    for number in range(1, pages + 1):
        text = f"BT /F1 24 Tf 72 {height - 100:g} Td (Page {number}) Tj ET"
        contents = writer.add_object(generic.StreamObject(stream_data=text.encode("ascii")))
        resources = generic.DictionaryObject({pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font})})
        page = PageObject(contents=contents, media_box=(0, 0, width, height), resources=resources)
        if rotate:
            page[pdf_name("/Rotate")] = generic.NumberObject(rotate)
        if crop_box is not None:
            page[pdf_name("/CropBox")] = generic.ArrayObject(map(generic.FloatObject, crop_box))
        writer.insert_page(page)
    return writer


def _write(writer: PdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def make_pdf_of_size(size: int) -> bytes:
    """A one-page PDF carrying `size` bytes of incompressible image data (an RGB image on the page)."""
    writer = PdfFileWriter()
    side = max(1, int((size / 3) ** 0.5))
    image = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(side),
            pdf_name("/Height"): generic.NumberObject(side),
            pdf_name("/ColorSpace"): pdf_name("/DeviceRGB"),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
        },
        stream_data=os.urandom(side * side * 3),
    )
    contents = writer.add_object(generic.StreamObject(stream_data=b"q 500 0 0 500 50 300 cm /Im1 Do Q"))
    resources = generic.DictionaryObject(
        {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Im1"): writer.add_object(image)})}
    )
    writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842), resources=resources))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
