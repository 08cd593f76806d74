"""Schemathesis over the OpenAPI schema the app serves: every operation, fed generated input
(valid and invalid), answers with no server error and within what its schema declares
(status code, content type, body); and the same over sequences that follow the schema's links.

The app runs in process (ASGI) on a SQLite installation of its own, with a tenant and an
admin key (sent as the bearer API key) and a few resources the generated ids are aimed at
half the time. Uploads get PDFs from tests/pdf_samples and tests/lying_pdfs, sometimes valid,
sometimes damaged on purpose, so the fuzzing reaches past "not a PDF".

Reproducible by default (derandomized); UNDERSIGN_FUZZ_RANDOM=1 explores with fresh random
data, UNDERSIGN_FUZZ_EXAMPLES=N runs N examples per operation.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import os
import shutil
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e import api
from tests.lying_pdfs import lying_pdfs
from tests.pdf_samples import make_damaged_pdf, make_encrypted_pdf, make_pdf, make_pdf_without_pages
from tests.stack import serve, settings_for
from undersign.domain.tenant import AccessRole
from undersign.entrypoints.container import build_container, shutdown
from undersign.entrypoints.http.app import create_app
from undersign.entrypoints.settings import Settings

# The app's background jobs (retry jitter) use the `random` module from its own thread while
# Hypothesis draws examples here; Hypothesis takes that for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

EXAMPLES = int(os.environ.get("UNDERSIGN_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("UNDERSIGN_FUZZ_RANDOM"),
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
STATEFUL = settings(FUZZ, max_examples=3 * EXAMPLES, stateful_step_count=10)


# --- what uploads are made of ---------------------------------------------------------

VALID_PDFS = [
    make_pdf(),
    make_pdf(pages=3),
    make_pdf(size=(200.0, 300.0), rotate=90),
    make_pdf(crop_box=(10.0, 10.0, 400.0, 500.0)),
]
UNUSABLE_PDFS = [b"", b"%PDF-1.7\n%%EOF\n", make_encrypted_pdf(), make_damaged_pdf(), make_pdf_without_pages()]
LYING_PDFS = [pdf for _, pdf in lying_pdfs()]


def _truncated(content: bytes, fraction: float) -> bytes:
    return content[: int(len(content) * fraction)]


def _with_bytes_changed(content: bytes, changes: list[tuple[int, int]]) -> bytes:
    damaged = bytearray(content)
    for position, value in changes:
        damaged[position % len(damaged)] = value
    return bytes(damaged)


PDFS = st.one_of(
    st.sampled_from(VALID_PDFS),
    st.sampled_from(UNUSABLE_PDFS),
    st.sampled_from(LYING_PDFS),
    st.builds(_truncated, st.sampled_from(VALID_PDFS), st.floats(0.5, 0.999)),
    st.builds(
        _with_bytes_changed,
        st.sampled_from(VALID_PDFS),
        st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), min_size=1, max_size=4),
    ),
    st.binary(max_size=512).map(lambda tail: b"%PDF-1.7\n" + tail),
)


def _self_signed_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fuzz root")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


PEM = _self_signed_pem()
PEMS = st.one_of(
    st.just(PEM),
    st.builds(_truncated, st.just(PEM), st.floats(0.1, 0.999)),
    st.binary(max_size=256),
    st.binary(max_size=256).map(lambda body: b"-----BEGIN CERTIFICATE-----\n" + body + b"\n-----END CERTIFICATE-----\n"),
)

# The schema says which media type each upload part holds (`encoding`); these fill them.
schemathesis.openapi.media_type("application/pdf", PDFS)
schemathesis.openapi.media_type("application/x-pem-file", PEMS)


# --- the schema ----------------------------------------------------------------------


def _generated_document() -> dict[str, Any]:
    """The OpenAPI document the app serves (generating it starts nothing and needs no installation)."""
    app = create_app(build_container(settings_for(Path(tempfile.gettempdir()) / "undersign-schema-only")))
    return app.openapi_schema.to_schema()


# Loaded with the module, so that schemathesis makes one test per operation; the requests go
# to the `served` fixture's app, and a test below holds this to what the app serves.
# (schemathesis.pytest.from_fixture would load it from a fixture, but 4.32 fails on pytest 9:
# its items have no `_nodeid` any more.)
schema = schemathesis.openapi.from_dict(_generated_document())

# The installation's resources, for the hook below (registered before they exist).
SCENES: list[dict[str, str]] = []


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    """Half the time, ids that name real resources; or every request with an id is a 404."""
    if not path_parameters or not SCENES:
        return st.just(path_parameters)
    aimed = st.sampled_from(SCENES).map(lambda scene: {name: scene.get(name, value) for name, value in path_parameters.items()})
    return st.one_of(st.just(path_parameters), aimed)


# --- the installation under test ------------------------------------------------------


@dataclass
class Installation:
    """A data directory to copy for each test: a tenant, its admin key, resources to aim at."""

    data_dir: Path
    headers: dict[str, str]
    scenes: list[dict[str, str]]  # path parameters that go together (an envelope and its document, ...)


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """A draft envelope (a document, a signer), a sent one (a signing link), a webhook endpoint."""
    data_dir = tmp_path_factory.mktemp("fuzz-template") / "data"

    async def build() -> Installation:
        async with serve(settings_for(data_dir)) as stack:
            draft, draft_document = await api.create_envelope(stack)
            draft_signer = await api.add_signer(stack, draft, "Ada Lovelace")
            sent, sent_document = await api.create_envelope(stack)
            sent_signer = await api.add_signer(stack, sent, "Bob Babbage")
            await api.place(stack, sent, sent_document, sent_signer, "signature", 1, 72, 600)
            await api.send(stack, sent)
            token = await api.signing_token(stack, sent, sent_signer)
            # An IP literal: registering a host name looks it up.
            webhook = await api.post(stack, "/v1/webhooks", {"url": "https://93.184.215.14/hooks", "events": ["envelope.expired"]})
            return Installation(
                data_dir=data_dir,
                headers=stack.headers,
                scenes=[
                    {"envelope_id": draft, "document_id": draft_document, "signer_id": draft_signer},
                    {"envelope_id": sent, "document_id": sent_document, "signer_id": sent_signer, "token": token},
                    {"webhook_id": webhook["id"]},
                ],
            )

    return asyncio.run(build())


@dataclass
class Served:
    app: Litestar
    headers: dict[str, str]
    settings: Settings


@pytest.fixture
def served(installation: Installation, tmp_path: Path) -> Served:
    """A fresh app on a fresh copy of the installation, so that every test starts from the same
    state. Throttling is off, or the fuzzer's guessed signing tokens would soon get only 429s.
    Schemathesis starts the app's lifespan on the first request and ends it after the test."""
    data_dir = tmp_path / "data"
    shutil.copytree(installation.data_dir, data_dir)
    settings = settings_for(data_dir, UNDERSIGN_THROTTLE_AUTH_FAILURES="0", UNDERSIGN_THROTTLE_TOKEN_FAILURES="0")
    SCENES[:] = installation.scenes
    return Served(app=create_app(build_container(settings)), headers=installation.headers, settings=settings)


# --- the runs ------------------------------------------------------------------------


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_its_schema_says(case: schemathesis.Case, served: Served) -> None:
    case.call_and_validate(app=served.app, headers=served.headers, checks=CHECKS)


def test_sequences_that_follow_the_links_answer_as_the_schema_says(served: Served) -> None:
    served_schema = schemathesis.openapi.from_asgi("/schema/openapi.json", served.app)
    # Valid requests only: a sequence goes on from what a step made (invalid input is the test above's).
    served_schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    tenants = itertools.count()

    @served_schema.hook
    def map_body(context: schemathesis.HookContext, body: Any) -> Any:
        """Names a person could have typed, so that sequences get past creating what they act on."""
        if context.operation is None or context.operation.method.upper() != "POST" or not isinstance(body, dict):
            return body
        path = context.operation.path
        if path == "/v1/envelopes" and isinstance(body.get("subject"), str):
            return {**body, "subject": _printable(body["subject"]) or "Lease"}
        if path == "/v1/envelopes/{envelope_id}/signers" and isinstance(body.get("name"), str):
            tag = zlib.crc32(repr(body).encode())
            return {**body, "name": _printable(body["name"]) or "Ada", "email": f"signer-{tag}@example.com"}
        return body

    class Workflow(served_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # A tenant per scenario: what a scenario lists (its webhooks, its envelopes) is only
            # what it made, or Hypothesis, replaying a scenario, sees other answers than before.
            key = asyncio.run(_admin_key_of_a_new_tenant(served.settings, f"scenario-{next(tenants)}"))
            self.headers = {"Authorization": f"Bearer {key}"}

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": self.headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Workflow.run(settings=STATEFUL)


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and unicodedata.category(c) not in ("Cs", "Cf")).strip()[:100]


async def _admin_key_of_a_new_tenant(settings: Settings, slug: str) -> str:
    container = build_container(settings)
    try:
        tenants = container.use_cases().tenants
        await tenants.create(slug)
        return (await tenants.create_api_key(slug, AccessRole.ADMIN)).key
    finally:
        await shutdown(container)


# --- what the schema declares -----------------------------------------------------------


def test_the_fuzzed_schema_is_the_served_one(served: Served) -> None:
    assert schemathesis.openapi.from_asgi("/schema/openapi.json", served.app).raw_schema == schema.raw_schema


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]


def test_the_schema_declares_the_api_key_and_every_problem() -> None:
    document = schema.raw_schema
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    for response in document["components"]["responses"].values():
        assert list(response["content"]) == ["application/problem+json"]
    for path, method, operation in _operations(document):
        public = "security" not in operation  # which routes are public is the routes' own word: see below
        assert public or operation["security"] == [{"apiKey": []}], (method, path)
        problems = {status for status in operation["responses"] if int(status) >= 400}
        for status in problems:
            assert operation["responses"][status]["$ref"].startswith("#/components/responses/"), (method, path, status)
        if path.startswith("/v1/"):
            assert {"400", "429", "503"} <= problems, (method, path)
        if not public:
            assert {"401", "403"} <= problems, (method, path)


def test_the_links_name_operations_that_exist() -> None:
    document = schema.raw_schema
    operations = _operations(document)
    ids = {operation["operationId"] for _, _, operation in operations}
    links = [
        link
        for _, _, operation in operations
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 15 and all(link["operationId"] in ids for link in links)


def test_public_routes_are_the_ones_without_the_api_key() -> None:
    """The schema's rule (the signer's routes, /health, /ready) and the routes' own declarations agree."""
    from undersign.entrypoints.http.guards import PUBLIC

    app = create_app(build_container(settings_for(Path(tempfile.gettempdir()) / "undersign-schema-only")))
    document = app.openapi_schema.to_schema()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                operation = document["paths"][route.path_format][method.lower()]
                assert (PUBLIC in handler.opt) is ("security" not in operation), (method, route.path_format)
