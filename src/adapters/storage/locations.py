"""Where blobs are kept, as UNDERSIGN_BLOB_URL says: `file:///an/absolute/path` (the embedded
default, under the data directory) or `s3://bucket/optional/prefix?options` (adapters/storage/s3.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from undersign.adapters.storage.fallback import FallbackBlobStore
from undersign.adapters.storage.filesystem import FileBlobStore
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.ports import BlobStore

SCHEMES = ("file", "s3")


def check_blob_url(url: str) -> None:
    """Raise ValueError, saying why, unless `url` names a store this installation can open."""
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(f"a blob store URL starts with file:// or s3://, not {url.split(':', 1)[0]!r}")
    if scheme == "file":
        file_root(url)
    else:
        from undersign.adapters.storage.s3 import S3BlobStore  # boto3 is imported only for S3

        S3BlobStore.from_url(url)


def file_root(url: str) -> Path:
    """The directory of a `file:///path` URL (an absolute path; no host but localhost)."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ValueError(f"a file blob URL is file:///an/absolute/path, not {url!r}")
    path = Path(unquote(parts.path))
    if not path.is_absolute():
        raise ValueError(f"a file blob URL names an absolute path, not {url!r}")
    return path


def open_blob_store(url: str, fallback_url: str = "", scratch_dir: Path | None = None) -> BlobStore:
    """The store at `url`; with `fallback_url`, reads that find nothing there read that one (a move under
    way). An S3 store's local files (scratch files, checked copies of blobs) go in `scratch_dir`."""
    if fallback_url:
        return FallbackBlobStore(open_blob_store(url, "", scratch_dir), open_blob_store(fallback_url, "", scratch_dir))
    if urlsplit(url).scheme == "s3":
        from undersign.adapters.storage.s3 import S3BlobStore

        if scratch_dir is not None:
            scratch_dir.mkdir(parents=True, exist_ok=True)
        return S3BlobStore.from_url(url, scratch_directory=scratch_dir)
    return FileBlobStore(file_root(url))


async def store_answers(store: BlobStore) -> bool:
    """Whether the store can be used now (an S3 bucket answers, with these credentials); a store on the
    local file system always can. For /ready."""
    if isinstance(store, FallbackBlobStore):
        return all([await store_answers(part) for part in store.parts])
    check = getattr(store, "check_reachable", None)
    if check is None:
        return True
    try:
        await check()
    except (ServiceUnavailable, RuntimeError):  # RuntimeError: s3.BucketUnreachable, named so boto3 loads only for S3
        return False
    return True
