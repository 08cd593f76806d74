"""Servers for the whole test session (databases, Redis, S3): each started on first use, stopped at the end;
and an S3 bucket of each test's own.

`UNDERSIGN_TEST_POSTGRESQL_URL` / `UNDERSIGN_TEST_MARIADB_URL` point the tests at a server
of your own instead (a user who may create databases; each test makes its own).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import MariaDBServer, MotoS3Server, PostgreSQLServer, RedisServer, running


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A PostgreSQL server's URL, naming a database to connect to (not to use)."""
    if override := os.environ.get("UNDERSIGN_TEST_POSTGRESQL_URL"):
        yield override
        return
    with running(PostgreSQLServer) as server:
        yield server.url()


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A MariaDB server's URL, naming a database to connect to (not to use)."""
    if override := os.environ.get("UNDERSIGN_TEST_MARIADB_URL"):
        yield override
        return
    with running(MariaDBServer) as server:
        yield server.url()



@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of the test session's own; tests that need a clean one flush it."""
    with running(RedisServer) as server:
        yield server


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The endpoint URL of an S3 server of the test session's own (moto, on loopback; any
    credentials do); each test makes its own bucket."""
    with running(MotoS3Server) as server:
        yield server.endpoint


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials (moto takes any) and nothing else of this machine's AWS set-up: no profile,
    no config file, no instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "undersign-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "undersign-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3_client(s3_endpoint: str, aws_environment: None) -> Any:
    """A boto3 client of the test's own, to look at (and damage) the bucket without the store."""
    import boto3  # only for the tests that use S3: boto3 takes a while to import

    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A new bucket, emptied and removed afterwards (moto keeps everything in memory)."""
    bucket = f"undersign-test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=bucket)
    yield bucket
    for page in s3_client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3_client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3_client.delete_object(Bucket=bucket, Key=item["Key"])
    s3_client.delete_bucket(Bucket=bucket)
