"""Steps of features/refused_input.feature: the real HTTP API on the embedded default, with hostile input."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from pytest_bdd import given, parsers, then, when

from tests.hostile_pdf_corpus import BY_ID
from tests.pdf_samples import make_pdf
from undersign.adapters.sql import migrate
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.settings import Settings


@dataclass
class Refusals:
    client: TestClient
    settings: Settings
    keys: dict[AccessRole, str]
    envelope_id: str = ""
    signers: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)
    answer: Any = None

    def headers(self, role: AccessRole = AccessRole.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def post(self, path: str, body: dict | None = None, role: AccessRole = AccessRole.ADMIN) -> dict:
        response = self.client.post(path, json=body, headers=self.headers(role))
        assert response.status_code in (200, 201), response.text
        return response.json()

    def upload(self, name: str, pdf: bytes) -> None:
        self.answer = self.client.post(
            f"/v1/envelopes/{self.envelope_id}/documents", files={"file": (name, pdf, "application/pdf")}, headers=self.headers()
        )

    def problem(self, status: int) -> dict:
        assert self.answer.status_code == status, self.answer.text
        assert self.answer.headers["content-type"].startswith("application/problem+json")
        return self.answer.json()


async def _keys(settings: Settings) -> dict[AccessRole, str]:
    container = build_container(settings)
    try:
        tenants = container.use_cases().tenants
        await tenants.create("acme")
        return {role: (await tenants.create_api_key("acme", role)).key for role in AccessRole}
    finally:
        await shutdown(container)


@pytest.fixture
def refusals(tmp_path: Path):
    settings = Settings.from_env({"UNDERSIGN_DATA_DIR": str(tmp_path / "data")})
    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.database_url)
    keys = asyncio.run(_keys(settings))
    with TestClient(app=create_app(build_container(settings))) as client:
        yield Refusals(client=client, settings=settings, keys=keys)


NAME_WITH_A_LINE_BREAK, KEPT_AS = "lease\r\n.pdf", "lease__.pdf"
NAME_WITH_A_CONTROL_CODE = "Ada\x1b[2J"  # ESC [2J: "clear the screen" to a terminal that shows it
METADATA_ADDRESS = "http://169.254.169.254/latest/meta-data"


@given("a tenant with an admin key, a sender key and a viewer key")
def tenant_with_keys(refusals: Refusals) -> None:
    assert set(refusals.keys) == set(AccessRole)


@given("a draft envelope the sender made over the API")
def draft_over_the_api(refusals: Refusals) -> None:
    refusals.envelope_id = refusals.post("/v1/envelopes", {"subject": "Lease agreement"}, role=AccessRole.SENDER)["id"]


@given(parsers.parse('the envelope is sent to "{name}"'))
def sent_to(refusals: Refusals, name: str) -> None:
    refusals.upload("lease.pdf", make_pdf(pages=2))
    assert refusals.answer.status_code == 201, refusals.answer.text
    signer = refusals.post(f"/v1/envelopes/{refusals.envelope_id}/signers", {"name": name, "email": f"{name.lower()}@example.com"})
    refusals.signers[name] = signer["id"]
    refusals.post(f"/v1/envelopes/{refusals.envelope_id}/send")


def issue_link(refusals: Refusals, name: str) -> str:
    token = refusals.post(f"/v1/envelopes/{refusals.envelope_id}/signers/{refusals.signers[name]}/signing-link")["token"]
    refusals.links.setdefault(name, []).append(token)
    return token


@given(parsers.parse('"{name}" has a signing link'))
def has_a_link(refusals: Refusals, name: str) -> None:
    issue_link(refusals, name)


# -- PDFs ------------------------------------------------------------------------------------

HOSTILE = {
    "a PDF that runs JavaScript when it is opened": "js-open-action",
    "a PDF with a ZIP archive after its end": "zip-after-eof",
    "a PDF whose page inflates to a gigabyte": "content-stream-bomb",
    "a PDF of 50000 pages": "fifty-thousand-pages",
}


@when("the sender uploads a PDF whose file name holds a line break")
def uploads_badly_named(refusals: Refusals) -> None:
    refusals.upload(NAME_WITH_A_LINE_BREAK, make_pdf())


@when(parsers.re(r"the sender uploads (?P<kind>{})".format("|".join(HOSTILE))))
def uploads(refusals: Refusals, kind: str) -> None:
    refusals.upload("upload.pdf", BY_ID[HOSTILE[kind]].make())


REFUSAL_CODES = {"PDF": ("pdf_active_content", "pdf_too_complex"), "file": ("pdf_polyglot",)}


@then(parsers.parse('the upload is refused because the {what} "{words}"'))
def upload_refused(refusals: Refusals, what: str, words: str) -> None:
    problem = refusals.problem(422)
    assert problem["code"] in REFUSAL_CODES[what] and words in problem["detail"], problem


@then("nothing of the file is kept")
def nothing_kept(refusals: Refusals) -> None:
    blobs = refusals.settings.blob_dir
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))
    envelope = refusals.client.get(f"/v1/envelopes/{refusals.envelope_id}", headers=refusals.headers()).json()
    assert envelope["documents"] == []


@then("the document is kept, under its name with the line break made harmless")
def kept_as(refusals: Refusals) -> None:
    assert refusals.answer.status_code == 201, refusals.answer.text
    refusals.document = refusals.answer.json()
    assert refusals.document["filename"] == KEPT_AS


@then("it downloads under that name")
def downloads_as(refusals: Refusals) -> None:
    name = KEPT_AS
    response = refusals.client.get(
        f"/v1/envelopes/{refusals.envelope_id}/documents/{refusals.document['id']}/content", headers=refusals.headers()
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert f'filename="{name}"' in response.headers["content-disposition"]


# -- recipients and signatures ----------------------------------------------------------------


def add_recipient(refusals: Refusals, name: str, email: str) -> None:
    refusals.answer = refusals.client.post(
        f"/v1/envelopes/{refusals.envelope_id}/signers", json={"name": name, "email": email}, headers=refusals.headers()
    )


@when(parsers.parse('the sender adds "{name}" with the address "{email}"'))
def adds_recipient(refusals: Refusals, name: str, email: str) -> None:
    add_recipient(refusals, name, email)


@when("the sender adds a recipient whose name holds a terminal control code")
def adds_control_code(refusals: Refusals) -> None:
    add_recipient(refusals, NAME_WITH_A_CONTROL_CODE, "ada@example.com")


@then(parsers.parse('the sender is refused with "{words}"'))
@then(parsers.parse('the admin is refused with "{words}"'))
def refused_with(refusals: Refusals, words: str) -> None:
    problem = refusals.problem(422)
    assert problem["code"] == "invalid_input" and words in problem["detail"], problem


@then("the envelope has no recipients")
def no_recipients(refusals: Refusals) -> None:
    envelope = refusals.client.get(f"/v1/envelopes/{refusals.envelope_id}", headers=refusals.headers()).json()
    assert envelope["signers"] == []


@when(parsers.parse('"{name}" signs with her consent written as the word "{word}"'))
def signs_with_a_word(refusals: Refusals, name: str, word: str) -> None:
    token = issue_link(refusals, name)
    refusals.answer = refusals.client.post(
        f"/v1/signing/{token}/sign", json={"signature": {"kind": "typed", "text": name}, "consent": word}
    )


@then("the signature is refused as malformed")
def malformed(refusals: Refusals) -> None:
    problem = refusals.problem(400)
    assert problem["code"] == "malformed_request" and "consent" in problem["detail"]


@then(parsers.parse('"{name}" has not signed'))
def not_signed(refusals: Refusals, name: str) -> None:
    envelope = refusals.client.get(f"/v1/envelopes/{refusals.envelope_id}", headers=refusals.headers()).json()
    (signer,) = [s for s in envelope["signers"] if s["id"] == refusals.signers[name]]
    assert envelope["status"] == "sent" and signer["status"] in ("notified", "viewed"), signer
    audit = refusals.client.get(f"/v1/envelopes/{refusals.envelope_id}/audit", headers=refusals.headers()).json()
    acts = [e for e in audit["events"] if e["type"] in ("SignerSigned", "SignerApproved", "SignerDeclined")]
    assert acts == [] and audit["chain_valid"], acts


# -- access and links ----------------------------------------------------------------------------


def ask_for_link(refusals: Refusals, role: AccessRole, name: str, key: str):
    return refusals.client.post(
        f"/v1/envelopes/{refusals.envelope_id}/signers/{refusals.signers[name]}/signing-link",
        headers={**refusals.headers(role), "Idempotency-Key": key},
    )


REPLAY_KEY = "replay-me"  # the Idempotency-Key: "safe to send again"


@given(parsers.parse('the admin has asked for a signing link for "{name}", marked as safe to send again'))
def admin_asked(refusals: Refusals, name: str) -> None:
    refusals.signers["replayed"] = refusals.signers[name]
    response = ask_for_link(refusals, AccessRole.ADMIN, name, REPLAY_KEY)
    assert response.status_code == 201, response.text
    refusals.links.setdefault(name, []).append(response.json()["token"])


@when("the viewer sends the admin's request again, with the same mark")
def viewer_replays(refusals: Refusals) -> None:
    refusals.answer = ask_for_link(refusals, AccessRole.VIEWER, "replayed", REPLAY_KEY)


@then("the viewer is refused as not allowed")
def viewer_refused(refusals: Refusals) -> None:
    assert refusals.problem(403)["code"] == "forbidden"


@then("the viewer was not handed the admin's link")
def no_token(refusals: Refusals) -> None:
    assert all(token not in refusals.answer.text for tokens in refusals.links.values() for token in tokens)


@when("the sender voids the envelope")
def voids(refusals: Refusals) -> None:
    refusals.post(f"/v1/envelopes/{refusals.envelope_id}/void", {"reason": "wrong document"}, role=AccessRole.SENDER)


@when(parsers.parse('the sender asks for a new signing link for "{name}"'))
def new_link(refusals: Refusals, name: str) -> None:
    issue_link(refusals, name)


def open_link(refusals: Refusals, token: str):
    return refusals.client.get(f"/v1/signing/{token}")


@then(parsers.parse('"{name}"\'s link no longer opens the envelope, because it is voided'))
def link_closed(refusals: Refusals, name: str) -> None:
    refusals.answer = open_link(refusals, refusals.links[name][-1])
    problem = refusals.problem(410)
    assert problem["code"] == "envelope_closed" and "voided" in problem["detail"]


@then(parsers.parse('"{name}"\'s old link no longer opens the envelope, because a newer link was issued'))
def old_link_revoked(refusals: Refusals, name: str) -> None:
    refusals.answer = open_link(refusals, refusals.links[name][0])
    assert refusals.problem(410)["code"] == "link_revoked"


@then(parsers.parse('"{name}"\'s new link opens it'))
def new_link_opens(refusals: Refusals, name: str) -> None:
    response = open_link(refusals, refusals.links[name][-1])
    assert response.status_code == 200 and response.json()["can_sign"] is True


# -- throttling and webhooks -------------------------------------------------------------------------


@when(parsers.parse("someone tries {count:d} wrong API keys"))
def wrong_keys(refusals: Refusals, count: int) -> None:
    for n in range(count):
        refusals.answer = refusals.client.get("/v1/envelopes", headers={"Authorization": f"Bearer usk_guess{n}_nope"})


@then("they are told to wait before trying again")
def told_to_wait(refusals: Refusals) -> None:
    problem = refusals.problem(429)
    assert problem["code"] == "too_many_requests" and int(refusals.answer.headers["retry-after"]) > 0


@then("even the admin's own key is turned away from their address until then")
def admin_turned_away(refusals: Refusals) -> None:
    assert refusals.client.get("/v1/envelopes", headers=refusals.headers()).status_code == 429


@when("the admin registers a webhook to the cloud provider's internal metadata address")
def registers_webhook(refusals: Refusals) -> None:
    refusals.answer = refusals.client.post(
        "/v1/webhooks", json={"url": METADATA_ADDRESS, "events": ["envelope.completed"]}, headers=refusals.headers()
    )
