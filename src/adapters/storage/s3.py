"""Blobs as objects in an S3 bucket (AWS, or any store that speaks S3), under an optional prefix.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and the like, a profile, an
instance or task role): never from the URL, and this module never logs them.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from undersign.adapters.storage.filesystem import SAFE_KEY
from undersign.adapters.storage.integrity import check_bytes, check_digest
from undersign.adapters.storage.scratch import scratch_file
from undersign.application.shared.errors import ServiceUnavailable
from undersign.application.shared.ports import StoredBlob

MiB = 1024 * 1024
DOWNLOAD_CHUNK = 1 * MiB
# Documents above 16 MiB go up in 8 MiB parts: a failed part is sent again, not the whole file.
# Parts of 8 MiB, two in flight: s3transfer holds each part in memory while it is sent (its
# default of ten at once would hold 80 MiB for one large document).
TRANSFER = TransferConfig(multipart_threshold=16 * MiB, multipart_chunksize=8 * MiB, max_concurrency=2)
ADDRESSING_STYLES = ("auto", "path", "virtual")
ENCRYPTIONS = ("AES256", "aws:kms")
URL_OPTIONS = ("endpoint_url", "region", "addressing_style", "sse", "sse_kms_key_id")
# Letters, digits, dots, dashes (and underscores, which older buckets may have); a slash starts the prefix.
BUCKET_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
MISSING_KEY_CODES = {"NoSuchKey", "404", "NotFound"}


class BucketUnreachable(RuntimeError):
    """The bucket cannot be used: it does not exist, the credentials are refused, or nothing answers."""


class DocumentStoreUnavailable(ServiceUnavailable):
    """S3 does not answer, or answers that it cannot now (a 5xx, SlowDown): the request may be sent again."""

    code = "document_store_unavailable"


# Answers that say "not now" rather than "no": the request may well succeed if sent again.
_NOT_NOW = {"500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


@contextmanager
def _s3_answers() -> Iterator[None]:
    """S3 that does not answer (no connection, a timeout) or says "not now" is DocumentStoreUnavailable,
    a 503 to the client, not a 500; any other refusal goes on as it is."""
    try:
        yield
    except S3UploadFailedError as error:
        cause = error.__cause__ or error.__context__
        if isinstance(cause, BotoCoreError) or (isinstance(cause, ClientError) and _code(cause) in _NOT_NOW):
            raise DocumentStoreUnavailable("the document store does not answer right now") from None
        raise
    except BotoCoreError:
        raise DocumentStoreUnavailable("the document store does not answer right now") from None
    except ClientError as error:
        if _code(error) in _NOT_NOW:
            raise DocumentStoreUnavailable("the document store does not answer right now") from None
        raise


class S3BlobStore:
    """Each blob is one object, `<prefix>/<key>`, carrying its SHA-256 as metadata (`sha256`) so an
    operator can see what it should hold. boto3 is synchronous: every call runs in a thread."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str = "auto",
        server_side_encryption: str | None = None,
        kms_key_id: str | None = None,
        scratch_directory: Path | str | None = None,
        client: Any = None,
    ) -> None:
        if not BUCKET_NAME.match(bucket):
            raise ValueError(f"not an S3 bucket name: {bucket!r}")
        prefix = prefix.strip("/")
        if prefix and not _is_safe(prefix):
            raise ValueError(f"unsafe S3 key prefix {prefix!r}")
        if addressing_style not in ADDRESSING_STYLES:
            raise ValueError(f"S3 addressing style {addressing_style!r} is none of {', '.join(ADDRESSING_STYLES)}")
        if server_side_encryption is not None and server_side_encryption not in ENCRYPTIONS:
            raise ValueError(
                f"S3 server-side encryption {server_side_encryption!r} is none of {', '.join(ENCRYPTIONS)}"
            )
        if kms_key_id and server_side_encryption != "aws:kms":
            raise ValueError("a KMS key id needs server-side encryption aws:kms")
        if endpoint_url is not None:
            _check_endpoint(endpoint_url)
        self.bucket, self.prefix = bucket, prefix
        self._endpoint_url, self._region, self._addressing_style = endpoint_url, region, addressing_style
        self._encryption: dict[str, str] = {}
        if server_side_encryption:
            self._encryption["ServerSideEncryption"] = server_side_encryption
        if kms_key_id:
            self._encryption["SSEKMSKeyId"] = kms_key_id
        self._scratch = str(scratch_directory) if scratch_directory is not None else None
        self._client_instance = client
        self._client_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, *, scratch_directory: Path | str | None = None) -> S3BlobStore:
        """`s3://bucket/optional/prefix?endpoint_url=...&region=...&addressing_style=path&sse=aws:kms&sse_kms_key_id=...`"""
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ValueError("an S3 blob store URL starts with s3://")
        if "@" in parts.netloc:
            raise ValueError(
                "an S3 blob store URL never holds credentials: boto3 finds them (environment, profile, role)"
            )
        if not parts.netloc:
            raise ValueError("an S3 blob store URL names its bucket: s3://bucket/optional/prefix")
        if parts.fragment:
            raise ValueError("an S3 blob store URL has no #fragment")
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError:
            raise ValueError(f"the S3 blob store URL's options do not parse: {parts.query!r}") from None
        unknown = sorted(set(query) - set(URL_OPTIONS))
        if unknown:
            raise ValueError(
                f"unknown S3 blob store URL option(s) {', '.join(unknown)}; known: {', '.join(URL_OPTIONS)}"
            )
        options: dict[str, str] = {}
        for name, values in query.items():
            if len(values) != 1 or not values[0]:
                raise ValueError(f"the S3 blob store URL option {name} needs exactly one non-empty value")
            options[name] = values[0]
        return cls(
            parts.netloc,
            parts.path,
            endpoint_url=options.get("endpoint_url"),
            region=options.get("region"),
            addressing_style=options.get("addressing_style", "auto"),
            server_side_encryption=options.get("sse"),
            kms_key_id=options.get("sse_kms_key_id"),
            scratch_directory=scratch_directory,
        )

    # -- the port ---------------------------------------------------------------------------------

    async def put(self, key: str, data: bytes) -> StoredBlob:
        name = self._object_key(key)
        stored = StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        with _s3_answers():
            await asyncio.to_thread(
                self._client().put_object, Bucket=self.bucket, Key=name, Body=data, **self._extra_args(stored)
            )
        return stored

    def scratch_file(self, content: bytes | AsyncIterable[bytes] = b"") -> AbstractAsyncContextManager[str]:
        return scratch_file(self._scratch, content, prefix="undersign-scratch-")

    async def put_file(self, key: str, path: str) -> StoredBlob:
        return await asyncio.to_thread(self._upload, self._object_key(key), Path(path))

    def _upload(self, name: str, path: Path) -> StoredBlob:
        with path.open("rb") as file:
            stored = StoredBlob(sha256=hashlib.file_digest(file, "sha256").hexdigest(), size=file.tell())
        # Above the threshold, a multipart upload: S3 shows the object only once the upload is
        # completed, never a part of it; s3transfer aborts the upload if a part fails, and what a
        # killed process leaves is removed by `abort_abandoned_uploads`.
        extra = self._extra_args(stored)
        with _s3_answers():
            self._client().upload_file(str(path), self.bucket, name, ExtraArgs=extra, Config=TRANSFER)
        path.unlink(missing_ok=True)
        return stored

    @asynccontextmanager
    async def local_file(self, key: str, sha256: str) -> AsyncIterator[str]:
        name = self._object_key(key)
        fd, path = tempfile.mkstemp(dir=self._scratch, prefix="undersign-blob-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as file:
                digest = await asyncio.to_thread(self._download, key, name, file)
            check_digest(key, digest, sha256)
            yield path
        finally:
            await asyncio.to_thread(Path(path).unlink, missing_ok=True)

    def _download(self, key: str, name: str, file: Any) -> hashlib._Hash:
        digest = hashlib.sha256()
        body = self._get_object(key, name)
        try:
            with _s3_answers():  # the connection may drop half way
                for chunk in body.iter_chunks(DOWNLOAD_CHUNK):
                    digest.update(chunk)
                    file.write(chunk)
        finally:
            body.close()
        return digest

    async def get(self, key: str, sha256: str) -> bytes:
        name = self._object_key(key)
        data = await asyncio.to_thread(self._read, key, name)
        return check_bytes(key, data, sha256)

    def _read(self, key: str, name: str) -> bytes:
        body = self._get_object(key, name)
        try:
            with _s3_answers():
                return body.read()
        finally:
            body.close()

    def _get_object(self, key: str, name: str) -> Any:
        """The object's streaming body (closed by the caller; `with` would hand out its raw stream)."""
        try:
            with _s3_answers():
                return self._client().get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as error:
            if _code(error) in MISSING_KEY_CODES:
                raise KeyError(key) from None
            raise

    async def delete(self, key: str) -> None:
        # S3's DeleteObject already succeeds when there is no such object.
        with _s3_answers():
            await asyncio.to_thread(self._client().delete_object, Bucket=self.bucket, Key=self._object_key(key))

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        client = await asyncio.to_thread(self._client)
        pages = iter(client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=root + prefix))
        while True:
            with _s3_answers():
                page = await asyncio.to_thread(next, pages, None)
            if page is None:
                return
            for item in page.get("Contents", []):
                yield item["Key"][len(root) :]

    # -- operations -------------------------------------------------------------------------------

    async def abort_abandoned_uploads(self, older_than: timedelta) -> int:
        """Abort the multipart uploads under the prefix started more than `older_than` ago (what a
        killed process leaves: parts S3 keeps, and bills, until someone aborts them); how many."""
        return await asyncio.to_thread(self._abort_abandoned, datetime.now(UTC) - older_than)

    def _abort_abandoned(self, started_before: datetime) -> int:
        client = self._client()
        root = f"{self.prefix}/" if self.prefix else ""
        aborted = 0
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=root):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] <= started_before:
                    client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                    aborted += 1
        return aborted

    async def check_reachable(self) -> None:
        """At startup: BucketUnreachable, saying why, unless the bucket exists and the credentials may use it."""
        try:
            await asyncio.to_thread(lambda: self._client().head_bucket(Bucket=self.bucket))
        except ClientError as error:
            code = _code(error)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise BucketUnreachable(f"the S3 bucket {self.bucket!r} does not exist") from None
            if code in {"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise BucketUnreachable(
                    f"the S3 bucket {self.bucket!r} refuses these credentials (HTTP {code})"
                ) from None
            raise BucketUnreachable(f"the S3 bucket {self.bucket!r} cannot be used: {code}") from None
        except BotoCoreError as error:  # no credentials found, no endpoint answering, ...
            raise BucketUnreachable(f"the S3 bucket {self.bucket!r} cannot be reached: {error}") from None

    # -- helpers ----------------------------------------------------------------------------------

    def _object_key(self, key: str) -> str:
        if not _is_safe(key):
            raise ValueError(f"unsafe blob key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _extra_args(self, stored: StoredBlob) -> dict[str, Any]:
        return {"Metadata": {"sha256": stored.sha256}, **self._encryption}

    def _client(self) -> Any:
        # One client per store, made on first use (it reads boto3's models from disk); boto3's
        # clients may be shared between threads, its sessions may not, hence a session of its own.
        with self._client_lock:
            if self._client_instance is None:
                self._client_instance = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self._endpoint_url,
                    region_name=self._region,
                    config=Config(s3={"addressing_style": self._addressing_style}, retries={"mode": "standard"}),
                )
            return self._client_instance


def _is_safe(key: str) -> bool:
    """The filesystem store's rule, so a key moves between stores: no empty, dot or absolute parts."""
    return bool(SAFE_KEY.match(key)) and not any(part.startswith(".") for part in key.split("/"))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _check_endpoint(endpoint_url: str) -> None:
    parts = urlsplit(endpoint_url)
    if "@" in parts.netloc:  # checked first: the message below repeats the URL
        raise ValueError("an S3 endpoint URL never holds credentials: boto3 finds them (environment, profile, role)")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"an S3 endpoint URL is http(s)://host[:port]: {endpoint_url!r}")
