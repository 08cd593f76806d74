"""A time stamper's own certificate is validated once per signature, not once per time stamp, and nothing else changes."""

from __future__ import annotations

import asyncio

import pytest
from pyhanko.sign.timestamps import TimeStamper

from tests.integration.test_signature_structure import request
from tests.pdf_checks import pyhanko_statuses
from tests.pdf_in_memory import InMemoryPdfSigner
from tests.pdf_samples import make_pdf
from undersign.adapters.signing.timestamper_paths import PathsOncePerContext
from undersign.domain.policy import SignatureLevel


class _Validating:
    """A stand-in for pyHanko's TimeStamper: one path per validation, failing when told to."""

    def __init__(self) -> None:
        self.validations = 0
        self.refuse = False

    async def validation_paths(self, validation_context):
        self.validations += 1
        if self.refuse:
            raise ValueError("the TSA's certificate was revoked")
        yield ("path", id(validation_context))


class _Stamper(PathsOncePerContext, _Validating):
    pass


class _Context:
    """A validation context, as far as the stamper can tell."""


async def _paths(stamper: _Stamper, context: object) -> list:
    return [path async for path in stamper.validation_paths(context)]


def test_one_context_validates_once_and_hears_the_same_paths_again() -> None:
    stamper, context, other = _Stamper(), _Context(), _Context()
    first, again, elsewhere = (asyncio.run(_paths(stamper, c)) for c in (context, context, other))
    assert first == again == [("path", id(context))] and elsewhere == [("path", id(other))]
    assert stamper.validations == 2


def test_a_failed_validation_is_not_kept() -> None:
    stamper, context = _Stamper(), _Context()
    stamper.refuse = True
    with pytest.raises(ValueError, match="revoked"):
        asyncio.run(_paths(stamper, context))
    stamper.refuse = False
    assert asyncio.run(_paths(stamper, context)) == [("path", id(context))]
    assert stamper.validations == 2


def test_a_b_lta_signature_validates_its_tsa_once_and_stays_valid(signer: InMemoryPdfSigner, pki, monkeypatch) -> None:
    contexts: list[int] = []
    validate = TimeStamper.validation_paths

    def counted(self, validation_context):
        contexts.append(id(validation_context))
        return validate(self, validation_context)

    monkeypatch.setattr(TimeStamper, "validation_paths", counted)
    signed = asyncio.run(signer.sign(make_pdf(pages=1), request("ada", "Ada Lovelace", [], SignatureLevel.PADES_B_LTA)))
    assert len(contexts) == 1  # before: twice, for the signature's time stamp and the document's
    statuses = pyhanko_statuses(signed.pdf, pki.root_cert_path, revocation_mode="require")
    assert [(status.intact, status.valid, status.trusted) for status in statuses] == [(True, True, True)]
