"""Steps that sign with the real pyHanko signer on the development PKI, inside the fake platform, to see a revoked
certificate refused. The PKI is made for the scenario; its revocations live in this process only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pytest_bdd import given, parsers, then

from tests.bdd.steps.background_steps import settle
from tests.bdd.steps.lifecycle_steps import World, create_draft
from tests.pdf_samples import make_pdf
from tests.unit.flows import as_it_stands
from undersign.adapters.signing.dev_pki import DevPki, load_or_create_dev_pki
from undersign.adapters.signing.dev_revocation import DevRevocation
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner
from undersign.adapters.signing.trust import SigningTrust
from undersign.application.envelopes.documents import AddDocument
from undersign.domain.document import DocumentStatus

SEAL_FIELD = "platform-seal"


@dataclass
class RealPki:
    pki: DevPki | None = None
    revocation: DevRevocation | None = None


@pytest.fixture
def real_pki() -> RealPki:
    return RealPki()


@given("the platform signs with the certificates of its development certification authority")
def real_signer(world: World, real_pki: RealPki, tmp_path) -> None:
    pki: DevPki = load_or_create_dev_pki(tmp_path / "pki", datetime.now(UTC))[0]
    revocation = DevRevocation(pki)
    trust = SigningTrust(
        trust_roots=[pki.root_cert], intermediates=[pki.issuing_cert], dev_revocation=revocation, fetch_revocation=False
    )
    # Before any use case that signs is made: they take the signer when they are first asked for.
    world.platform.pdf_signer = PyHankoPdfSigner.development(pki, trust=trust)
    real_pki.pki, real_pki.revocation = pki, revocation
    # Certificates are issued for the platform's time and checked against the real one: the two agree from here.
    world.platform.clock.current = max(world.platform.clock.current, datetime.now(UTC))


@given(parsers.parse('a draft envelope "{subject}" with a real one-page document'))
def draft_with_real_pdf(world: World, run, subject: str) -> None:
    create_draft(world, run, subject, with_document=False)
    upload = AddDocument(caller=world.caller, envelope_id=world.envelope_id, filename="lease.pdf", content=make_pdf())
    world.document_id = run(world.platform.add_document(upload)).id


@given("the operator has revoked the platform's seal certificate")
def seal_revoked(real_pki: RealPki) -> None:
    assert real_pki.pki is not None and real_pki.revocation is not None, "the platform does not sign with the real PKI"
    real_pki.revocation.revoke(real_pki.pki.seal_cert.serial_number, at=datetime.now(UTC) - timedelta(minutes=1))


@then(parsers.parse('the document carries the signature of "{name}" and no platform seal'))
def signed_not_sealed(world: World, run, name: str) -> None:
    settle(world, run)
    document, content = run(as_it_stands(world.platform, world.caller, world.envelope_id, world.document_id))
    assert document.status is DocumentStatus.ACTIVE
    signatures = PdfFileReader(BytesIO(content)).embedded_regular_signatures
    assert [s.signer_cert.subject.native["common_name"] for s in signatures] == [name]
    assert SEAL_FIELD not in [s.field_name for s in signatures]


@then("the operator finds the seal among the failed jobs, refused because its certificate is revoked")
def seal_dead_letter(world: World, run) -> None:
    settle(world, run)
    letters = run(world.platform.dead_letters.list())
    assert [(d.job.name, d.attempts) for d in letters] == [("seal_envelope", 10)], letters
    assert "SigningFailed" in letters[0].error and "revoked" in letters[0].error, letters[0].error
