"""PAdES signatures with pyHanko: prepare the form, sign for each recipient, seal at the end.

Every step is one incremental update, so each earlier signature still covers exactly the
bytes it signed, and everything after it is form filling, signing and validation data,
which pyHanko's difference analysis (and Acrobat's) accepts as permitted changes.

The level (the envelope's policy) decides what each signature, the seal included, gets:
- B-B: the signature alone (CMS, ETSI.CAdES.detached, SHA-256).
- B-T: plus an RFC 3161 time stamp over it, from the first TSA that answers.
- B-LT: plus the certificates and revocation data needed to validate it (signer's and
  TSA's) in the document security store (DSS), an update after the signature.
- B-LTA: plus a document time stamp over all of that, which keeps it verifiable after the
  signer's certificate expires (and, renewed in time, after the TSA's does); the validation
  data then goes in the time stamp's update, under it (archival_update.py).

A PDF/A upload stays PDF/A (version, XMP identification; pdfa.py), and the seal locks the
document at every level (signature_fields.seal_field_spec says how and why).

Each step reads the document from a file and writes it to another (pdf_streams.py), so a
document of any size costs a few megabytes; at B-LTA the document time stamp and its
validation data are appended to the file the signature was written to, not to a copy.

A little over 300 lines: the signing sequence reads top to bottom in one place; what is not
the sequence (certificates, stamp, fields, streams, failures) lives in modules of its own.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

import structlog
from cryptography.x509 import load_der_x509_certificate
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfTimeStamper, Signer
from pyhanko.sign.signers.pdf_byterange import BuildProps
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import TextStampStyle

from undersign.adapters.signing.archival_update import ArchivalPdfSigner, DocumentTimestamp
from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.keys.local import dev_seal_key
from undersign.adapters.signing.pdf_forms import add_empty_fields, fill_fields, signature_field_name
from undersign.adapters.signing.pdf_streams import CHUNK_BYTES, DIGEST, bytes_reserved, incremental_writer, streams
from undersign.adapters.signing.pdfa import pdfa_identification
from undersign.adapters.signing.signature_fields import (
    SEAL_FIELD_NAME,
    SIGNING_APPLICATION,
    fields_to_fill,
    own_signature_field,
    refuse_if_sealed,
    refuse_if_signed,
    seal_field_spec,
    signature_field_rotation,
)
from undersign.adapters.signing.signature_images import embeddable, read_signature_image
from undersign.adapters.signing.signature_stamp import signature_stamp_style
from undersign.adapters.signing.signer_certificates import DevSignerCertificates, SignerCertificates
from undersign.adapters.signing.signing_failures import signing_failures
from undersign.adapters.signing.timestamps import TimestampAuthorities, unreachable
from undersign.adapters.signing.trust import SigningTrust
from undersign.application.shared.errors import TimestampUnavailable
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field
from undersign.domain.policy import SignatureLevel

UNDERSIGN_VERSION = version("undersign")

_TIMESTAMPED = {SignatureLevel.PADES_B_T, SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA}
_WITH_VALIDATION_DATA = {SignatureLevel.PADES_B_LT, SignatureLevel.PADES_B_LTA}

log = structlog.get_logger("undersign.signing")


class PyHankoPdfSigner:
    def __init__(
        self,
        *,
        signer_certificates: SignerCertificates,
        seal: Signer,
        trust: SigningTrust,
        timestamps: TimestampAuthorities,
    ) -> None:
        self._signer_certificates = signer_certificates
        self._seal_signer = seal
        self._trust = trust
        self._timestamps = timestamps

    @classmethod
    def development(
        cls,
        pki: DevPki,
        *,
        seal: Signer | None = None,
        timestamps: TimestampAuthorities | None = None,
        trust: SigningTrust | None = None,
        signer_certificates: SignerCertificates | None = None,
    ) -> PyHankoPdfSigner:
        """Everything from the development PKI (signer certificates, seal, trust, TSA) unless given."""
        return cls(
            signer_certificates=signer_certificates or DevSignerCertificates(pki),
            seal=seal or dev_seal_key(pki).signer(),
            trust=trust or SigningTrust.for_dev_pki(pki),
            timestamps=timestamps or TimestampAuthorities.development(pki),
        )

    async def prepare(self, source: str, output: str, fields: list[Field]) -> None:
        if not fields:  # nothing to add: the same bytes
            await asyncio.to_thread(shutil.copyfile, source, output)
            return
        await asyncio.to_thread(self._prepare, Path(source), Path(output), fields)

    async def sign(self, source: str, output: str, request: SignatureRequest) -> str:
        return await asyncio.to_thread(self._sign, Path(source), Path(output), request)

    async def seal(self, source: str, output: str, level: SignatureLevel) -> None:
        await asyncio.to_thread(self._seal, Path(source), Path(output), level)

    async def archive_timestamp_expiry(self, pdf: str) -> datetime | None:
        return await asyncio.to_thread(_last_document_timestamp_expiry, Path(pdf))

    async def add_archive_timestamp(self, source: str, output: str) -> None:
        await asyncio.to_thread(self._add_archive_timestamp, Path(source), Path(output))

    # -- the work, run in a thread ------------------------------------------------------

    def _prepare(self, source: Path, output: Path, fields: list[Field]) -> None:
        # File to file, the output readable and seekable (w+b): pyHanko streams the document
        # instead of holding it (PITFALLS: output streams decide memory).
        with signing_failures("prepare the document's form"), source.open("rb") as pdf, output.open("w+b") as out:
            writer = incremental_writer(pdf)
            add_empty_fields(writer, fields)
            writer.write(out)

    def _sign(self, source: Path, output: Path, request: SignatureRequest) -> str:
        # Decoded once, before any certificate is issued: a refused image is the signer's
        # InvalidSignatureImage (a 422), never a signing failure.
        drawn = read_signature_image(request.signature_image) if request.signature_image is not None else None
        with signing_failures("sign the document"):
            signer, serial = self._signer_certificates.issue(name=request.name, email=request.email, now=request.at)

            def sign_with(timestamper: TimeStamper | None, pdf: BinaryIO, signed: BinaryIO) -> None:
                writer = incremental_writer(pdf)
                refuse_if_signed(writer, request)
                image = None if drawn is None else embeddable(drawn, pdfa=pdfa_identification(writer.root) is not None)
                own_field = own_signature_field(writer, request.fields)
                fill_fields(writer, fields_to_fill(request, own_field), signature_image=image)
                field_name = own_field or signature_field_name(request.signer_id)
                rotation = signature_field_rotation(writer, field_name) if own_field else 0
                self._signed(
                    writer,
                    signed,
                    request.level,
                    self._metadata(field_name, request.level, name=request.name, signer=signer),
                    timestamper,
                    signer=signer,
                    stamp_style=signature_stamp_style(rotation, image),
                    # No field of their own: a new invisible one (no box means no widget area).
                    new_field_spec=None if own_field else SigFieldSpec(sig_field_name=field_name),
                    existing_fields_only=own_field is not None,
                    appearance_text_params={"typed": request.signature_text},
                )

            self._time_stamped(request.level, source, output, sign_with)
            return format(serial, "x")

    def _seal(self, source: Path, output: Path, level: SignatureLevel) -> None:
        with signing_failures("seal the document"):

            def seal_with(timestamper: TimeStamper | None, pdf: BinaryIO, sealed: BinaryIO) -> None:
                writer = incremental_writer(pdf)
                refuse_if_sealed(writer)
                self._signed(
                    writer,
                    sealed,
                    level,
                    self._metadata(
                        SEAL_FIELD_NAME,
                        level,
                        name=None,
                        signer=self._seal_signer,
                        reason="Signing completed; sealed by Undersign",
                        docmdp_permissions=MDPPerm.NO_CHANGES,
                    ),
                    timestamper,
                    signer=self._seal_signer,
                    new_field_spec=seal_field_spec(writer, followed_by_updates=level in _WITH_VALIDATION_DATA),
                )

            self._time_stamped(level, source, output, seal_with)

    def _add_archive_timestamp(self, source: Path, output: Path) -> None:
        with signing_failures("time-stamp the document for the archive"):

            def stamp_with(timestamper: TimeStamper | None, pdf: BinaryIO, stamped: BinaryIO) -> None:
                reader = PdfFileReader(pdf)
                renewal = len(reader.embedded_timestamp_signatures) + 1
                # Validates the last time stamp (with trust roots), puts its validation data in
                # the DSS, then adds the new time stamp over all of it: pyHanko's LTA renewal.
                # It copies the input to the output, then appends there.
                PdfTimeStamper(timestamper, field_name=f"archive-timestamp-{renewal}").update_archival_timestamp_chain(
                    reader, self._trust.validation_context(), in_place=False, output=stamped, chunk_size=CHUNK_BYTES
                )

            self._time_stamped(SignatureLevel.PADES_B_LTA, source, output, stamp_with)

    def _time_stamped(
        self,
        level: SignatureLevel,
        source: Path,
        output: Path,
        make: Callable[[TimeStamper | None, BinaryIO, BinaryIO], None],
    ) -> None:
        """`make` from `source` into `output` with the first time-stamping authority that answers, or with none at B-B.

        Each attempt starts again from the source and an empty output, so a failed one leaves
        nothing behind. When no authority answers, the signature is not made at all: a
        signature the policy wants time-stamped is never made without its time stamp, and the
        caller gets TimestampUnavailable.
        """
        if level not in _TIMESTAMPED:
            with streams(source, output) as (pdf, made):
                make(None, pdf, made)
            return
        failures = []
        for authority in self._timestamps:
            try:
                with streams(source, output) as (pdf, made):
                    make(authority.stamper, pdf, made)
                return
            except Exception as error:
                cause = unreachable(error)
                if cause is None:
                    raise
                reason = f"{cause}" + (f" ({cause.__cause__})" if cause.__cause__ else "")
                failures.append(f"{authority.name}: {reason}")
                log.warning("time-stamping authority failed", authority=authority.name, reason=reason)
        log.error("no time-stamping authority answered; nothing signed", failures=failures)
        # The client learns what happened, not which services we use or how they failed.
        raise TimestampUnavailable(
            f"no time-stamping authority answered ({len(failures)} tried), so nothing was signed; try again later"
        )

    def _signed(
        self,
        writer: IncrementalPdfFileWriter,
        output: BinaryIO,
        level: SignatureLevel,
        metadata: PdfSignatureMetadata,
        timestamper: TimeStamper | None,
        *,
        signer: Signer,
        new_field_spec: SigFieldSpec | None,
        stamp_style: TextStampStyle | None = None,
        existing_fields_only: bool = False,
        appearance_text_params: dict[str, str] | None = None,
    ) -> None:
        """One signature from `writer` into `output` (an attempt of `_time_stamped`'s), archived as `level` wants.

        At B-LTA a document time stamp follows, over the signature and its validation data, in the
        same update as that data (archival_update.py). pyHanko's own B-LTA mode (`use_pades_lta`)
        would first parse every signature already in the document to validate the last document
        time stamp, digit by digit: with twenty signers that was seconds per signature, and retried
        signatures of parallel signers paid it again. Each document time stamp added here had its
        TSA validated, and that TSA's validation data put in the DSS, when it was made (whichever
        TSA answered), so the new one is added as pyHanko would add it, without validating the
        last one again. The signature's validation context (from its `metadata`) validates the
        time stamp's TSA too, as in pyHanko's B-LTA mode: what it has learnt (chains, revocation
        lists) is not learnt again.
        """
        archived = level is SignatureLevel.PADES_B_LTA and timestamper is not None
        # A PDF/A document stays PDF/A: pyHanko would move it to PDF 2.0 for an ECDSA signature.
        pdf_signer = ArchivalPdfSigner(
            metadata, signer=signer, timestamper=timestamper, stamp_style=stamp_style, new_field_spec=new_field_spec,
            document_timestamp=DocumentTimestamp(timestamper, f"timestamp-{metadata.field_name}") if archived else None,
        )  # fmt: skip
        pdf_signer.sign_pdf(
            writer,
            existing_fields_only=existing_fields_only,
            bytes_reserved=bytes_reserved(signer, timestamper),
            appearance_text_params=appearance_text_params,
            output=output,
            chunk_size=CHUNK_BYTES,
        )

    # -- helpers ------------------------------------------------------------------------

    def _metadata(
        self,
        field_name: str,
        level: SignatureLevel,
        *,
        name: str | None,
        signer: Signer,
        reason: str | None = None,
        docmdp_permissions: MDPPerm = MDPPerm.FILL_FORMS,
    ) -> PdfSignatureMetadata:
        """What a signature says and how it is checked; one per attempt, for a fresh validation context."""
        embed = level in _WITH_VALIDATION_DATA
        return PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=DIGEST,
            subfilter=SigSeedSubFilter.PADES,
            name=name,
            reason=reason,
            # Checked before signing, revocation included: without trust roots pyHanko
            # would sign with any certificate at all, expired, revoked or not from our CA.
            validation_context=self._trust.validation_context([load_der_x509_certificate(signer.signing_cert.dump())]),
            signer_key_usage={"non_repudiation", "digital_signature"},
            app_build_props=BuildProps(name=SIGNING_APPLICATION, revision=UNDERSIGN_VERSION),
            docmdp_permissions=docmdp_permissions,
            embed_validation_info=embed,
            # Validation data for a document time stamp's own TSA joins the DSS, if it is not there yet,
            # in the time stamp's update, before it: read from the TSA's sample token, so the signed
            # file is not read again after the time stamp to add it.
            dss_settings=DSSContentSettings(
                next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True)
            ),
        )


def _last_document_timestamp_expiry(pdf: Path) -> datetime | None:
    with signing_failures("read the document's time stamps"), pdf.open("rb") as file:
        stamps = PdfFileReader(file).embedded_timestamp_signatures
        if not stamps:
            return None
        last = max(stamps, key=lambda stamp: stamp.signed_revision)
        return last.signer_cert["tbs_certificate"]["validity"]["not_after"].native

