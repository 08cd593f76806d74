"""The cheap check of a drawn (or uploaded) signature image, before anything decodes it.

A signer may hand in a PNG of their signature; the signing adapter draws it in their
signature fields. What is refused here costs no decoding: more bytes than a signature
needs, not a PNG (its eight-byte signature), a chunk structure that does not hold
together (IHDR first, lengths inside the file, IEND last with nothing after it, the
polyglot trick) and dimensions the header already says are absurd. The adapter decodes
what passes with Pillow under the same limits and refuses what does not decode.
"""

from __future__ import annotations

import struct

from undersign.application.shared.errors import InvalidSignatureImage

MAX_SIGNATURE_IMAGE_BYTES = 512 * 1024
MAX_SIGNATURE_IMAGE_WIDTH = 2000
MAX_SIGNATURE_IMAGE_HEIGHT = 1000
# Bounds the decoded size (4 bytes a pixel: 8 MB at most), whatever the compression ratio.
MAX_SIGNATURE_IMAGE_PIXELS = MAX_SIGNATURE_IMAGE_WIDTH * MAX_SIGNATURE_IMAGE_HEIGHT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEADER = struct.Struct(">I4s")
_CHUNK_OVERHEAD = _CHUNK_HEADER.size + 4  # length and type, then the CRC after the data
_IHDR_LENGTH = 13
# A PNG's chunks have their own limit (2^31 - 1); a drawn signature needs far fewer.
_MAX_CHUNKS = 4096


def check_signature_image(data: bytes) -> tuple[int, int]:
    """The image's (width, height) from its header, or InvalidSignatureImage.

    Pure and cheap (no decompression): for the HTTP edge and the use case, before the
    image is stored or handed on. It does not prove the pixel data decodes; the
    signing adapter does that.
    """
    if not data:
        raise InvalidSignatureImage("the signature image is empty")
    if len(data) > MAX_SIGNATURE_IMAGE_BYTES:
        raise InvalidSignatureImage(
            f"the signature image is {len(data)} bytes; at most {MAX_SIGNATURE_IMAGE_BYTES} are accepted"
        )
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidSignatureImage("the signature image is not a PNG")
    width, height = _walk_chunks(data)
    if width == 0 or height == 0:
        raise InvalidSignatureImage("the signature image has no pixels")
    if (
        width > MAX_SIGNATURE_IMAGE_WIDTH
        or height > MAX_SIGNATURE_IMAGE_HEIGHT
        or width * height > MAX_SIGNATURE_IMAGE_PIXELS
    ):
        raise InvalidSignatureImage(
            f"the signature image is {width}x{height} pixels; at most "
            f"{MAX_SIGNATURE_IMAGE_WIDTH}x{MAX_SIGNATURE_IMAGE_HEIGHT} are accepted"
        )
    return width, height


def _walk_chunks(data: bytes) -> tuple[int, int]:
    """(width, height) from IHDR, having checked that the chunks fill the file exactly up to IEND."""
    offset, size, first = len(PNG_SIGNATURE), None, True
    for _ in range(_MAX_CHUNKS):
        if offset + _CHUNK_OVERHEAD > len(data):
            raise InvalidSignatureImage("the signature image is cut short (no IEND chunk)")
        length, kind = _CHUNK_HEADER.unpack_from(data, offset)
        body = offset + _CHUNK_HEADER.size
        end = body + length + 4
        if end > len(data):
            raise InvalidSignatureImage("the signature image is cut short (a chunk runs past its end)")
        if first:
            if kind != b"IHDR" or length != _IHDR_LENGTH:
                raise InvalidSignatureImage("the signature image does not start with a PNG header (IHDR)")
            size = struct.unpack_from(">II", data, body)
            first = False
        if kind == b"IEND":
            if end != len(data):
                raise InvalidSignatureImage("the signature image has bytes after its end (IEND)")
            assert size is not None
            return size
        offset = end
    raise InvalidSignatureImage(f"the signature image has more than {_MAX_CHUNKS} chunks")
