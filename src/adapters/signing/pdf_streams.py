"""How pyHanko is given a document: files to stream through, and the room a signature needs.

pyHanko streams between readable, seekable files (the source opened `rb`, the output `w+b`):
~2 MB of memory for a 50 MB PDF. With an in-memory or write-only output it would silently
hold the whole document, so every step reads a file and writes a file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import TimeStamper

DIGEST = "sha256"
# pyHanko copies and hashes the document in chunks of 4 KiB unless told otherwise: 12,000
# turns of a Python loop per pass over 50 MB. A mebibyte per turn costs a mebibyte of memory.
CHUNK_BYTES = 1024 * 1024
# Room for the CMS blob at B-B, in hex digits (two per byte); a fixed size skips pyHanko's
# dry-run signature. Ours is ~2.3 KB of DER (ECDSA signature, three certificates, signed
# attributes): 16 KiB of hex leaves room for a longer chain.
SIGNATURE_BYTES_RESERVED = 16 * 1024
# With a time stamp, the room is counted instead of measured by pyHanko's dry-run signature:
# the certificates and the TSA's token as they are, plus this much for the rest (signed
# attributes, an RSA-4096 signature value at most, identifiers and structure: ~500 bytes for
# ours). A tight fit matters there: every later B-LTA signature makes pyHanko parse every
# earlier signature's hex digit by digit.
CMS_FRAME_BYTES = 2048


@contextmanager
def streams(source: Path, output: Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """The source to read and the output to write; the output starts empty on every call."""
    with source.open("rb") as pdf, output.open("w+b") as made:
        yield pdf, made


def incremental_writer(pdf: BinaryIO) -> IncrementalPdfFileWriter:
    writer = IncrementalPdfFileWriter(pdf)
    writer.IO_CHUNK_SIZE = CHUNK_BYTES  # what it copies the document to a new output with
    return writer


def bytes_reserved(signer: Signer, timestamper: TimeStamper | None) -> int:
    """Room for the CMS blob, in hex digits (see SIGNATURE_BYTES_RESERVED and CMS_FRAME_BYTES)."""
    if timestamper is None:
        return SIGNATURE_BYTES_RESERVED
    # The timestamper asks its TSA for a sample token once, then keeps it.
    token = asyncio.run(timestamper.async_dummy_response(DIGEST))
    certificates = [signer.signing_cert, *signer.cert_registry]
    return 2 * (CMS_FRAME_BYTES + len(token.dump()) + sum(len(certificate.dump()) for certificate in certificates))
