"""The evidence package's files: its layout, the ZIP it is written to, and the bounds a reader holds it to.

An evidence package is a plain ZIP that standard tools read (`unzip`, `sha256sum -c`, `pdfsig`):

    documents/<n>-<name>.pdf          each document as it stands (the sealed PDF once sealed)
    certificate-of-completion.pdf     when the envelope has one
    audit-trail.json                  as GET /v1/envelopes/{id}/audit answers it
    verification/<n>-<name>.json      each PDF's verification report, as POST /v1/verify answers it
    manifest.json                     the envelope, each file's SHA-256 and size, each document's recorded SHA-256
    SHA256SUMS                        `sha256sum -c` lines over every other file

Names come from the package's own numbering and a cleaned file name, never a path a sender chose.
zipfile is the standard library's and does no I/O of its own beyond the files it is given, so it
sits here, in the application layer, with the rest of the package's rules.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from undersign.domain.envelope import MAX_DOCUMENTS

DOCUMENTS, VERIFICATION = "documents/", "verification/"
CERTIFICATE = "certificate-of-completion.pdf"
AUDIT_TRAIL, MANIFEST, SUMS = "audit-trail.json", "manifest.json", "SHA256SUMS"

# What a reader accepts, whoever made the ZIP: an envelope holds at most MAX_DOCUMENTS documents
# (domain.envelope), so a package of ours has at most 2 files per document, the certificate and its
# report, the audit trail, the manifest and the sums. More entries, or more bytes, is not one of ours.
MAX_ENTRIES = 2 * MAX_DOCUMENTS + 5
MAX_TOTAL_BYTES = 4 * 1024**3  # uncompressed, as declared (zipfile reads no more than an entry declares)
MAX_PDF_BYTES = 1024**3  # a PDF is verified from memory, one at a time: far above any upload cap
MAX_JSON_BYTES = 64 * 1024**2  # audit trail, manifest, a report: text, never near this
MAX_SUMS_BYTES = 64 * 1024
SAFE_ENTRY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}(/[A-Za-z0-9][A-Za-z0-9._-]{0,120})?")
SUMS_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")
_CHUNK = 1024 * 1024


def document_entry(number: int, filename: str) -> str:
    """`documents/1-lease.pdf`: numbered in the envelope's order, the name cleaned to plain ASCII."""
    stem = filename[:-4] if filename.lower().endswith(".pdf") else filename
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:80] or "document"
    return f"{DOCUMENTS}{number}-{cleaned}.pdf"


def report_entry(pdf_entry: str) -> str:
    """The verification report's name for a PDF of the package: `verification/1-lease.json`."""
    return VERIFICATION + pdf_entry.removeprefix(DOCUMENTS).removesuffix(".pdf") + ".json"


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenFile:
    name: str
    sha256: str
    size: int


class PackageWriter:
    """Writes entries into a ZIP file, hashing each as it goes (synchronous: run it on a thread)."""

    def __init__(self, file: IO[bytes], made_at: datetime) -> None:
        self._zip = zipfile.ZipFile(file, "w")
        self._date_time = made_at.timetuple()[:6]  # each entry's time, as unzip lists it
        self.written: list[WrittenFile] = []

    def add_file(self, name: str, path: str) -> WrittenFile:
        """Copy a local file in, chunk by chunk: PDFs are stored as they are (they compress no further)."""
        digest, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_STORED
        with open(path, "rb") as source, self._zip.open(info, "w", force_zip64=True) as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        return self._record(WrittenFile(name=name, sha256=digest.hexdigest(), size=size))

    def add_bytes(self, name: str, data: bytes) -> WrittenFile:
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        return self._record(WrittenFile(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))

    def close(self) -> None:
        self._zip.close()

    def _record(self, written: WrittenFile) -> WrittenFile:
        self.written.append(written)
        return written


def sums_text(files: list[WrittenFile]) -> bytes:
    """`sha256sum` output (text mode, two spaces), which `sha256sum -c SHA256SUMS` checks."""
    return "".join(f"{f.sha256}  {f.name}\n" for f in files).encode()


def parse_sums(text: bytes) -> tuple[dict[str, str], list[str]]:
    """SHA256SUMS as {name: sha256}, and what is wrong with its lines, in words."""
    sums: dict[str, str] = {}
    problems = []
    try:
        lines = text.decode("ascii").splitlines()
    except UnicodeDecodeError:
        return {}, [f"{SUMS} is not plain ASCII text"]
    for number, line in enumerate(lines, start=1):
        if not (match := SUMS_LINE.fullmatch(line)):
            problems.append(f"{SUMS} line {number} is not a sha256sum line")
        elif match.group(2) in sums:
            problems.append(f"{SUMS} names {match.group(2)} twice")
        else:
            sums[match.group(2)] = match.group(1)
    return sums, problems


def unsafe_entries(archive: zipfile.ZipFile) -> list[str]:
    """Why the ZIP is not read further (too many entries, too big, a name that is a path outside it), or nothing."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        return [f"the ZIP holds {len(entries)} entries: an evidence package holds at most {MAX_ENTRIES}"]
    if sum(e.file_size for e in entries) > MAX_TOTAL_BYTES:
        return [f"the ZIP's files add up to more than {MAX_TOTAL_BYTES // 1024**3} GiB: not an evidence package"]
    names = [e.filename for e in entries]
    problems = [f"{name!r} is not a file name an evidence package holds" for name in names if not _safe(name)]
    problems += [f"{name} appears twice in the ZIP" for name in sorted({n for n in names if names.count(n) > 1})]
    return problems


def _safe(name: str) -> bool:
    # No absolute path, no "..", no backslash, no directory entry: nothing unzip could write outside its folder.
    return bool(SAFE_ENTRY.fullmatch(name)) and ".." not in name


def read_entry(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """An entry's bytes, at most `limit` of them (a larger one raises ValueError)."""
    if archive.getinfo(name).file_size > limit:
        raise ValueError(f"{name} is larger than an evidence package's files can be ({limit} bytes)")
    with archive.open(name) as entry:
        return entry.read(limit + 1)[:limit]


def entry_sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(archive, name):
        digest.update(chunk)
    return digest.hexdigest()


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with archive.open(name) as entry:
        while chunk := entry.read(_CHUNK):
            yield chunk
