"""An installation for the signing page's browser tests: `undersign serve` on loopback, mail to a real SMTP
sink, a tenant and its key made with the CLI, and envelopes sent over the API whose invitations the tests
open from the mail, as a recipient would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from tests.pdf_samples import make_pdf
from tests.servers import free_port, serving_undersign
from tests.smtp_server import SmtpServer, smtp_server

UNDERSIGN = str(Path(sys.executable).parent / "undersign")
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "signing-page"


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    envelope_id: str
    document_id: str
    signer_id: str
    email: str
    subject: str  # the envelope's
    link: str  # as the email carries it
    fields: dict[str, str]  # name the test gave -> field id


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    url: str
    data_dir: Path
    key: str
    mail: SmtpServer

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def trust_root(self) -> Path:
        return self.data_dir / "pki" / "root-ca.pem"

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=30)

    async def policy(self, **settings: Any) -> str:
        async with self.client() as api:
            created = await api.post("/v1/policies", json={"name": f"policy {uuid.uuid4().hex[:8]}", **settings})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    async def invite(
        self,
        *,
        pages: int = 2,
        fields: dict[str, dict[str, Any]] | None = None,
        policy_id: str | None = None,
        authentication: dict[str, str] | None = None,
        name: str = "Ada Lovelace",
    ) -> Invitation:
        """An envelope with one document of `pages` and one signer whose `fields` (name -> kind, page, x, y, ...)
        are placed on it, sent; the invitation read from the mail."""
        subject = f"Lease {uuid.uuid4().hex[:8]}"
        email = f"signer-{uuid.uuid4().hex[:8]}@example.com"
        async with self.client() as api:
            body = {
                "subject": subject,
                "message": "Please read the lease\nand sign it.",
                **({"policy_id": policy_id} if policy_id else {}),
            }
            envelope = await _created(await api.post("/v1/envelopes", json=body))
            upload = await api.post(
                f"/v1/envelopes/{envelope['id']}/documents",
                files={"file": ("lease.pdf", make_pdf(pages=pages), "application/pdf")},
            )
            document = await _created(upload)
            signer_body: dict[str, Any] = {"name": name, "email": email, "role": "signer", "routing_order": 1}
            if authentication:
                signer_body["authentication"] = authentication
            signer = await _created(await api.post(f"/v1/envelopes/{envelope['id']}/signers", json=signer_body))
            placed = {}
            for field_name, spec in (fields or {}).items():
                field = {"document_id": document["id"], "signer_id": signer["id"], "width": 160, "height": 36, **spec}
                placed[field_name] = (
                    await _created(await api.post(f"/v1/envelopes/{envelope['id']}/fields", json=field))
                )["id"]
            sent = await api.post(f"/v1/envelopes/{envelope['id']}/send")
            assert sent.status_code == 200, sent.text
        mail = await self.mail_to(email, f"Please sign: {subject}")
        link = re.search(r"https?://\S+/sign/[A-Za-z0-9_-]+", mail.get_body(("plain",)).get_content()).group(0)
        return Invitation(
            envelope_id=envelope["id"],
            document_id=document["id"],
            signer_id=signer["id"],
            email=email,
            subject=subject,
            link=link,
            fields=placed,
        )

    async def mail_to(
        self, address: str, subject: str | None = None, *, after: int = 0, timeout: float = 30
    ) -> EmailMessage:
        """The latest message to `address` (with `subject`, if given) past the first `after` of theirs."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            theirs = [m for m in self.mail.received() if m["To"] == address]
            found = [m for m in theirs[after:] if subject is None or m["Subject"] == subject]
            if found:
                return found[-1]
            assert asyncio.get_running_loop().time() < deadline, [(m["To"], m["Subject"]) for m in self.mail.received()]
            await asyncio.sleep(0.1)


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _cli(data_dir: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
    done = subprocess.run([UNDERSIGN, *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@contextmanager
def signing_site(directory: Path) -> Iterator[Site]:
    """The installation (see the module docstring), stopped afterwards."""
    data_dir = directory / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with smtp_server() as mail:
        env = {
            "UNDERSIGN_DATA_DIR": str(data_dir), "UNDERSIGN_PUBLIC_URL": url, "UNDERSIGN_LOG_FORMAT": "json",
            "UNDERSIGN_SMTP_URL": f"smtp://{mail.host}:{mail.port}", "UNDERSIGN_MAIL_FROM": "signing@example.test",
        }  # fmt: skip
        _cli(data_dir, "db", "upgrade")
        _cli(data_dir, "tenant", "create", "acme")
        key = _cli(data_dir, "apikey", "create", "--tenant", "acme", "--role", "admin")["key"]
        with serving_undersign(env, directory / "serve.log", port):
            yield Site(url=url, data_dir=data_dir, key=key, mail=mail)
