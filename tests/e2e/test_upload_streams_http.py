"""Uploads against a real server process, over a real socket: a client that goes away half way
through leaves nothing behind, one over UNDERSIGN_MAX_UPLOAD_MB is a 413 with nothing kept, and a
large upload is stored whole with the SHA-256 of what was sent."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.e2e.served import installation, serving
from tests.pdf_samples import make_pdf_of_size

BOUNDARY = b"cut-short"


def stored_and_scratch(data_dir: Path) -> tuple[list[Path], list[Path]]:
    blobs = data_dir / "blobs"
    files = [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else []
    scratch = [p for p in files if ".scratch" in p.parts]
    return [p for p in files if p not in scratch], scratch


def test_uploads_over_a_socket_cut_short_too_large_and_whole(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env, key = installation(data_dir, UNDERSIGN_MAX_UPLOAD_MB="2")
    pdf = make_pdf_of_size(1_500_000)
    with serving(env, tmp_path / "serve.log") as (_, url):
        auth = {"Authorization": f"Bearer {key}"}
        envelope = httpx.post(f"{url}/v1/envelopes", json={"subject": "Streams"}, headers=auth).json()
        path = f"/v1/envelopes/{envelope['id']}/documents"

        # A client that announces the whole body, sends a third of it and hangs up.
        head = b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        host, port = urlsplit(url).hostname, urlsplit(url).port
        with socket.create_connection((host, port)) as raw:
            raw.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}\r\n"
                f"Content-Length: {len(head) + len(pdf) + 64}\r\n\r\n".encode() + head + pdf[: len(pdf) // 3]
            )
            time.sleep(0.5)
        time.sleep(1)  # the server notices the closed connection

        too_large = httpx.post(
            f"{url}{path}", files={"file": ("big.pdf", make_pdf_of_size(3_000_000), "application/pdf")}, headers=auth
        )
        whole = httpx.post(f"{url}{path}", files={"file": ("lease.pdf", pdf, "application/pdf")}, headers=auth)

        assert too_large.status_code == 413 and too_large.json()["status"] == 413
        assert whole.status_code == 201, whole.text
        stored, scratch = stored_and_scratch(data_dir)
        assert [p.read_bytes() for p in stored] == [pdf] and scratch == []  # only the whole upload is kept
        assert whole.json()["sha256"] == hashlib.sha256(pdf).hexdigest() == whole.json()["current_sha256"]
        assert whole.json()["size"] == len(pdf)
        documents = httpx.get(f"{url}/v1/envelopes/{envelope['id']}", headers=auth).json()["documents"]
        assert [d["id"] for d in documents] == [whole.json()["id"]]
