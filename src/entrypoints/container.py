"""The composition root: the one place that decides which adapter serves which port."""

from __future__ import annotations

from pathlib import Path

import structlog
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import async_sessionmaker

from adapters.signing.assembly import configured_pdf_signer
from adapters.signing.completion_certificate import ReportLabCompletionCertificateRenderer
from adapters.signing.dev_pki import ROOT_CERT_FILE, DevPki, load_or_create_dev_pki
from adapters.signing.keys.base import SealKey, SealKeyError
from adapters.signing.keys.factory import seal_key_from
from adapters.signing.pdf_inspector import PyHankoPdfInspector
from adapters.signing.verification import PyHankoPdfVerifier
from adapters.sql.engine import create_engine
from adapters.sql.idempotency_keys import SqlIdempotencyKeys
from adapters.sql.unit_of_work import sql_unit_of_work_factory
from adapters.storage.filesystem import FileBlobStore
from adapters.system.clock import SystemClock
from adapters.system.identifiers import TokenGenerator, UuidGenerator
from application.add_document import AddDocumentHandler
from application.add_signer import AddSignerHandler
from application.archive_renewal import RenewArchiveTimestamps
from application.completion_certificate import CompletionCertificates
from application.create_envelope import CreateEnvelopeHandler
from application.create_signing_link import CreateSigningLinkHandler
from application.decline import DeclineHandler
from application.idempotency import Idempotency
from application.place_field import PlaceFieldHandler
from application.read_envelopes import EnvelopeQueries
from application.send_envelope import SendEnvelopeHandler
from application.sign import SignHandler
from application.signing_session import SigningSessions
from application.tenants import Tenants
from application.verify_pdf import VerifyPdfHandler
from application.void_envelope import VoidEnvelopeHandler
from entrypoints.settings import Settings, SettingsError


def development_pki(settings: Settings, clock: SystemClock) -> DevPki:
    pki, created = load_or_create_dev_pki(settings.pki_dir, clock.now())
    log = structlog.get_logger("undersign.pki")
    message = "DEVELOPMENT CA in use: signatures are not trusted outside this installation. Never use it in production."
    log.warning(message, created=created, directory=str(settings.pki_dir))
    return pki


def trust_anchor_files(settings: Settings) -> tuple[Path, ...]:
    """UNDERSIGN_TRUST_ROOTS, or else the development root (what the embedded default signs under)."""
    return settings.trust_roots or (settings.pki_dir / ROOT_CERT_FILE,)


def platform_seal_key(settings: Settings, pki: DevPki) -> SealKey:
    """The platform seal's key as UNDERSIGN_SEAL_KEY says; a SettingsError if it cannot be used."""
    try:
        key = seal_key_from(settings.seal_key, dev_pki=pki)
    except SealKeyError as error:
        raise SettingsError(f"UNDERSIGN_SEAL_KEY: {error}") from error
    structlog.get_logger("undersign.seal").info(
        "platform seal key loaded",
        kind=type(key).__name__,
        subject=key.certificate.subject.rfc4514_string(),
        not_after=key.certificate.not_valid_after_utc.isoformat(),
    )
    return key


class Core(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidGenerator)
    secrets = providers.Singleton(TokenGenerator)


class Gateways(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    engine = providers.Singleton(
        create_engine,
        core.settings.provided.database_url,
        pool_size=core.settings.provided.db_pool_size,
        max_overflow=core.settings.provided.db_max_overflow,
        pool_timeout=core.settings.provided.db_pool_timeout,
        connect_timeout=core.settings.provided.db_connect_timeout,
        statement_timeout_ms=core.settings.provided.db_statement_timeout_ms,
    )
    sessions = providers.Singleton(async_sessionmaker, engine, expire_on_commit=False)
    blobs = providers.Singleton(FileBlobStore, core.settings.provided.blob_dir)
    unit_of_work = providers.Singleton(sql_unit_of_work_factory, sessions, blobs)
    idempotency_keys = providers.Singleton(SqlIdempotencyKeys, sessions)
    pki = providers.Singleton(development_pki, core.settings, core.clock)
    pdf_inspector = providers.Singleton(PyHankoPdfInspector)
    seal_key = providers.Singleton(platform_seal_key, core.settings, pki)
    pdf_signer = providers.Singleton(
        configured_pdf_signer,
        pki,
        tsa_urls=core.settings.provided.tsa_urls,
        trust_root_files=core.settings.provided.trust_roots,
        seal=seal_key,
    )
    pdf_verifier = providers.Singleton(PyHankoPdfVerifier, providers.Callable(trust_anchor_files, core.settings))
    certificate_renderer = providers.Singleton(ReportLabCompletionCertificateRenderer)


class UseCases(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    gateways = providers.DependenciesContainer()
    uow, clock, ids = gateways.unit_of_work, core.clock, core.ids

    tenants = providers.Singleton(Tenants, uow, clock, ids, core.secrets)
    create_envelope = providers.Singleton(CreateEnvelopeHandler, uow, clock, ids)
    add_document = providers.Singleton(AddDocumentHandler, uow, clock, ids, gateways.pdf_inspector)
    add_signer = providers.Singleton(AddSignerHandler, uow, clock, ids)
    place_field = providers.Singleton(PlaceFieldHandler, uow, clock, ids)
    send_envelope = providers.Singleton(SendEnvelopeHandler, uow, clock, ids, gateways.pdf_signer)
    void_envelope = providers.Singleton(VoidEnvelopeHandler, uow, clock)
    envelope_queries = providers.Singleton(EnvelopeQueries, uow)
    create_signing_link = providers.Singleton(
        CreateSigningLinkHandler, uow, clock, ids, core.secrets, core.settings.provided.signing_link_ttl
    )
    signing_sessions = providers.Singleton(SigningSessions, uow, clock)
    idempotency = providers.Singleton(Idempotency, gateways.idempotency_keys, clock, ids)
    sign = providers.Singleton(SignHandler, uow, clock, ids, gateways.pdf_signer)
    decline = providers.Singleton(DeclineHandler, uow, clock)
    renew_archive_timestamps = providers.Singleton(RenewArchiveTimestamps, uow, clock, ids, gateways.pdf_signer)
    verify_pdf = providers.Singleton(VerifyPdfHandler, gateways.pdf_verifier, clock)
    completion_certificates = providers.Singleton(
        CompletionCertificates, uow, gateways.certificate_renderer, gateways.pdf_signer
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    gateways = providers.Container(Gateways, core=core)
    use_cases = providers.Container(UseCases, core=core, gateways=gateways)


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)


async def shutdown(container: Container) -> None:
    await container.gateways.engine().dispose()
