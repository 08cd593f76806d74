"""PAdES signatures with pyHanko: prepare the form, sign for each recipient, seal at the end.

Every step is one incremental update, so each earlier signature still covers exactly the
bytes it signed, and everything after it is form filling and signing, which pyHanko's
difference analysis (and Acrobat's) accepts as permitted changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
    enumerate_sig_fields,
)
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from adapters.signing.dev_pki import DevPki, issue_signer_certificate
from adapters.signing.pdf_forms import (
    HELVETICA,
    FormError,
    add_empty_fields,
    fill_fields,
    signature_field_name,
)
from adapters.signing.pdf_inspector import iter_pages, upright_matrix
from application.errors import SigningFailed
from application.ports import SignatureRequest, SignedPdf
from domain.field import Field, FieldKind

SEAL_FIELD_NAME = "platform-seal"
# Room for the CMS blob, in hex digits (two per byte). Ours is ~2.3 KB of DER (ECDSA
# signature, three certificates, signed attributes); 16 KiB of hex leaves room for a
# longer chain or a timestamp later, and a fixed size skips pyHanko's dry-run signature.
SIGNATURE_BYTES_RESERVED = 16 * 1024
_DIGEST = "sha256"


class PyHankoPdfSigner:
    def __init__(self, pki: DevPki, *, signer_certificate_validity: timedelta = timedelta(days=1)) -> None:
        self._pki = pki
        self._validity = signer_certificate_validity
        # Converted and parsed once: every signature reuses them.
        self._root = _asn1_certificate(pki.root_cert)
        self._issuing = _asn1_certificate(pki.issuing_cert)
        self._seal_signer = self._signer(pki.seal_key, pki.seal_cert)

    async def prepare(self, pdf: bytes, fields: list[Field]) -> bytes:
        if not fields:
            return pdf
        return await asyncio.to_thread(self._prepare, pdf, fields)

    async def sign(self, pdf: bytes, request: SignatureRequest) -> SignedPdf:
        return await asyncio.to_thread(self._sign, pdf, request)

    async def seal(self, pdf: bytes) -> bytes:
        return await asyncio.to_thread(self._seal, pdf)

    # -- the work, run in a thread ------------------------------------------------------

    def _prepare(self, pdf: bytes, fields: list[Field]) -> bytes:
        with _signing_failures("prepare the document's form"):
            writer = IncrementalPdfFileWriter(BytesIO(pdf))
            add_empty_fields(writer, fields)
            out = BytesIO()
            writer.write(out)
            return out.getvalue()

    def _sign(self, pdf: bytes, request: SignatureRequest) -> SignedPdf:
        with _signing_failures("sign the document"):
            writer = IncrementalPdfFileWriter(BytesIO(pdf))
            _refuse_if_signed(writer, request)
            own_field = _own_signature_field(writer, request.fields)
            fill_fields(writer, _fields_to_fill(request, own_field))
            key, certificate = issue_signer_certificate(
                self._pki, name=request.name, email=request.email, now=request.at, validity=self._validity
            )
            field_name = own_field or signature_field_name(request.signer_id)
            pdf_signer = PdfSigner(
                self._metadata(field_name, name=request.name),
                signer=self._signer(key, certificate),
                stamp_style=_signature_stamp_style(_field_rotation(writer, field_name) if own_field else 0),
                # No field of their own: a new invisible one (no box means no widget area).
                new_field_spec=None if own_field else SigFieldSpec(sig_field_name=field_name),
            )
            signed = pdf_signer.sign_pdf(
                writer,
                existing_fields_only=own_field is not None,
                bytes_reserved=SIGNATURE_BYTES_RESERVED,
                appearance_text_params={"typed": request.signature_text},
                output=BytesIO(),
            )
            return SignedPdf(pdf=signed.getvalue(), certificate_serial=format(certificate.serial_number, "x"))

    def _seal(self, pdf: bytes) -> bytes:
        with _signing_failures("seal the document"):
            writer = IncrementalPdfFileWriter(BytesIO(pdf))
            _refuse_if_sealed(writer)
            pdf_signer = PdfSigner(
                self._metadata(
                    SEAL_FIELD_NAME,
                    name=None,
                    reason="Signing completed; sealed by Undersign",
                    docmdp_permissions=MDPPerm.NO_CHANGES,
                ),
                signer=self._seal_signer,
                new_field_spec=_SEAL_FIELD,
            )
            sealed = pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES_RESERVED, output=BytesIO())
            return sealed.getvalue()

    # -- helpers ------------------------------------------------------------------------

    def _signer(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> SimpleSigner:
        return SimpleSigner(
            signing_cert=_asn1_certificate(certificate),
            signing_key=_asn1_private_key(key),
            cert_registry=SimpleCertificateStore.from_certs([self._issuing, self._root]),
        )

    def _metadata(
        self,
        field_name: str,
        *,
        name: str | None,
        reason: str | None = None,
        docmdp_permissions: MDPPerm = MDPPerm.FILL_FORMS,
    ) -> PdfSignatureMetadata:
        return PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm=_DIGEST,
            subfilter=SigSeedSubFilter.PADES,
            name=name,
            reason=reason,
            # Checked before signing: without trust roots pyHanko would sign with any
            # certificate at all, expired or not from our CA, without complaint.
            validation_context=ValidationContext(trust_roots=[self._root], other_certs=[self._issuing]),
            signer_key_usage={"non_repudiation", "digital_signature"},
            docmdp_permissions=docmdp_permissions,
        )


# The seal is the last signature and must say so. A certification (DocMDP) signature
# cannot be it: ISO 32000 allows only one, as the FIRST signature of the document, and
# pyHanko refuses certify=True once other signatures exist ("Certification signatures
# must be the first signature in a given document"). The standard way to close a document
# with a later signature is a field lock: /Lock with /Action /All locks every field, and
# /P 1 (PDF 2.0, MDPPerm.NO_CHANGES) declares that no change at all is permitted after it,
# so anything appended later shows up as a violation of the seal. The earlier signatures
# see only a new invisible signature field: a permitted change for them.
_SEAL_FIELD = SigFieldSpec(
    sig_field_name=SEAL_FIELD_NAME,
    field_mdp_spec=FieldMDPSpec(action=FieldMDPAction.ALL),
    doc_mdp_update_value=MDPPerm.NO_CHANGES,
)


def _refuse_if_sealed(writer: IncrementalPdfFileWriter) -> None:
    # pyHanko only enforces certification (DocMDP) limits, not a field lock like the seal's.
    if _filled_signature_fields(writer) & {SEAL_FIELD_NAME}:
        raise FormError("the document is sealed; nothing can be added after the seal")


def _refuse_if_signed(writer: IncrementalPdfFileWriter, request: SignatureRequest) -> None:
    _refuse_if_sealed(writer)
    own = {signature_field_name(request.signer_id)} | {
        signature_field_name(field.id) for field in request.fields if field.kind is FieldKind.SIGNATURE
    }
    if _filled_signature_fields(writer) & own:
        raise FormError(f"signer {request.signer_id} has already signed this document")


def _filled_signature_fields(writer: IncrementalPdfFileWriter) -> set[str]:
    return {name for name, _value, _ref in enumerate_sig_fields(writer, filled_status=True)}


def _own_signature_field(writer: IncrementalPdfFileWriter, fields: list[Field]) -> str | None:
    """The signer's empty /Sig field made by prepare (their first signature field), if any."""
    empty = {name for name, _value, _ref in enumerate_sig_fields(writer, filled_status=False)}
    for field in fields:
        if field.kind is FieldKind.SIGNATURE and signature_field_name(field.id) in empty:
            return signature_field_name(field.id)
    return None


def _fields_to_fill(request: SignatureRequest, own_field: str | None) -> list[Field]:
    """Every field but the one the signature goes into; further signature boxes show the typed name."""
    to_fill = []
    for field in request.fields:
        if field.kind is FieldKind.SIGNATURE:
            if signature_field_name(field.id) == own_field:
                continue
            field = replace(field, value=field.value or request.signature_text)
        to_fill.append(field)
    return to_fill


def _field_rotation(writer: IncrementalPdfFileWriter, field_name: str) -> int:
    fields = {name: ref for name, _value, ref in enumerate_sig_fields(writer, with_name=field_name)}
    widget = fields[field_name].get_object()
    if "/P" not in widget:
        return 0
    page_ref = widget.raw_get("/P").reference
    return next((page.rotation for page in iter_pages(writer) if page.ref.reference == page_ref), 0)


@dataclass(frozen=True)
class _UprightTextStampStyle(TextStampStyle):
    """A text stamp that reads upright on a page with /Rotate (pyHanko draws in user space)."""

    rotation: int = 0

    def create_stamp(self, writer, box: BoxConstraints, text_params: dict) -> TextStamp:
        if self.rotation in (90, 270):
            box = BoxConstraints(width=box.height, height=box.width)
        return _UprightTextStamp(writer=writer, style=self, box=box, text_params=text_params)


class _UprightTextStamp(TextStamp):
    def as_form_xobject(self):
        xobject = super().as_form_xobject()
        if self.style.rotation:
            xobject["/Matrix"] = upright_matrix(self.style.rotation)
        return xobject


def _signature_stamp_style(rotation: int) -> TextStampStyle:
    return _UprightTextStampStyle(
        stamp_text="%(typed)s\nSigned by %(signer)s\n%(ts)s",
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
        text_box_style=TextBoxStyle(font=HELVETICA, font_size=10),
        border_width=1,
        rotation=rotation,
    )


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_private_key(key: ec.EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


@contextmanager
def _signing_failures(action: str) -> Iterator[None]:
    """Turn pyHanko's refusals into SigningFailed, with its reason (and the reason behind it)."""
    try:
        yield
    # pyHanko's SigningError is a ValueError, and cryptography rejects an unusable name or
    # email (say, a non-ASCII address) with one.
    except (PdfError, ValueError, FormError) as error:
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        raise SigningFailed(f"could not {action}: {error}{cause}") from error
