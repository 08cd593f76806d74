"""The cheap edge check of a drawn signature image: what it refuses without decoding anything."""

from __future__ import annotations

import struct
import zlib

import pytest

from undersign.application.shared.errors import InvalidSignatureImage
from undersign.application.shared.signature_images import (
    MAX_SIGNATURE_IMAGE_BYTES,
    PNG_SIGNATURE,
    check_signature_image,
)
from undersign.entrypoints.http.problems import status_of


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, *, idat: bytes | None = None, extra: bytes = b"") -> bytes:
    """A PNG's chunks as the header declares them (8-bit grayscale); the pixels need not match."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = idat if idat is not None else zlib.compress(b"\x00" * (width + 1) * min(height, 4))
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def test_a_png_passes_and_its_dimensions_come_back() -> None:
    assert check_signature_image(_png(400, 150)) == (400, 150)


def test_the_largest_accepted_dimensions_pass() -> None:
    assert check_signature_image(_png(2000, 1000)) == (2000, 1000)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 64, "not a PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "not a PNG"),
        (PNG_SIGNATURE, "cut short"),
        (_png(400, 150)[:-6], "cut short"),
        (_png(400, 150) + b"PK\x03\x04 a zip after the end", "bytes after its end"),
        (_png(2001, 10), "2001x10"),
        (_png(10, 1001), "10x1001"),
        (_png(100_000, 100_000), "100000x100000"),
        (_png(0, 10), "no pixels"),
        (PNG_SIGNATURE + _chunk(b"IDAT", b"x") + _chunk(b"IEND", b""), "does not start with a PNG header"),
        (PNG_SIGNATURE + struct.pack(">I4s", 2**31, b"IHDR") + b"\x00" * 20, "runs past its end"),
    ],
)
def test_what_is_not_a_sane_png_is_refused_with_the_stable_code(data: bytes, why: str) -> None:
    with pytest.raises(InvalidSignatureImage, match=why) as refused:
        check_signature_image(data)

    assert refused.value.code == "invalid_signature_image"
    assert status_of(refused.value) == 422


def test_more_bytes_than_a_signature_needs_are_refused_before_anything_else() -> None:
    padding = _chunk(b"tEXt", b"x" * MAX_SIGNATURE_IMAGE_BYTES)

    with pytest.raises(InvalidSignatureImage, match=f"at most {MAX_SIGNATURE_IMAGE_BYTES}"):
        check_signature_image(_png(10, 10, extra=padding))


def test_a_png_of_endless_empty_chunks_is_refused() -> None:
    many = _chunk(b"tEXt", b"") * 5000

    with pytest.raises(InvalidSignatureImage, match="more than 4096 chunks"):
        check_signature_image(_png(10, 10, extra=many))


def test_an_image_of_exactly_the_byte_limit_and_one_pixel_high_passes() -> None:
    overhead = len(_png(400, 1, idat=b""))
    exact = _png(400, 1, idat=b"\x00" * (MAX_SIGNATURE_IMAGE_BYTES - overhead))
    assert len(exact) == MAX_SIGNATURE_IMAGE_BYTES
    assert check_signature_image(exact) == (400, 1)


def test_dimensions_past_two_to_the_31_are_read_unsigned_and_refused() -> None:
    with pytest.raises(InvalidSignatureImage, match="is 4294967295x10 pixels"):
        check_signature_image(_png(2**32 - 1, 10, idat=b"x"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (PNG_SIGNATURE + _chunk(b"IDAT", b"x" * 13) + _chunk(b"IEND", b""),
         "^the signature image does not start with a PNG header \\(IHDR\\)$"),
        (PNG_SIGNATURE + _chunk(b"IHDR", b"x" * 12) + _chunk(b"IEND", b""),
         "^the signature image does not start with a PNG header \\(IHDR\\)$"),
        (PNG_SIGNATURE, "^the signature image is cut short \\(no IEND chunk\\)$"),
        (_png(400, 150) + b"x", "^the signature image has bytes after its end \\(IEND\\)$"),
    ],
)
def test_a_broken_chunk_structure_is_named_exactly(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidSignatureImage, match=reason):
        check_signature_image(data)
