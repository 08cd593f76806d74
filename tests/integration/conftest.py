"""The development PKI and the PDF signer on it, made once per test module in a temporary directory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.pdf_in_memory import InMemoryPdfSigner
from undersign.adapters.signing.dev_pki import DevPki, load_or_create_dev_pki
from undersign.adapters.signing.pdf_signer import PyHankoPdfSigner


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return load_or_create_dev_pki(tmp_path_factory.mktemp("dev-pki") / "pki", datetime.now(UTC))[0]


@pytest.fixture(scope="module")
def signer(pki: DevPki) -> InMemoryPdfSigner:
    return InMemoryPdfSigner(PyHankoPdfSigner.development(pki))
