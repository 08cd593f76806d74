"""Which signature field a signature goes into, the seal's locked field, and the refusals: sealed, already signed."""

from __future__ import annotations

from dataclasses import replace

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, enumerate_sig_fields

from undersign.adapters.signing.pdf_forms import FormError, signature_field_name
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind

SEAL_FIELD_NAME = "platform-seal"
# Every signature Undersign makes names it as the signing application (/Prop_Build /App
# /Name), so a verifier can tell a document signed through Undersign and expect its seal.
SIGNING_APPLICATION = "Undersign"

# The seal is the last signature and must say so. A certification (DocMDP) signature
# cannot be it: ISO 32000 allows only one, as the FIRST signature of the document, and
# pyHanko refuses certify=True once other signatures exist ("Certification signatures
# must be the first signature in a given document"). The standard way to close a document
# with a later signature is a field lock: /Lock with /Action /All locks every field, and
# /P 1 (PDF 2.0, MDPPerm.NO_CHANGES) declares that no change at all is permitted after it,
# so anything appended later shows up as a violation of the seal. The earlier signatures
# see only a new invisible signature field: a permitted change for them.
#
# From B-LT on, validation data (a DSS) and document time stamps follow the seal, which
# /P 1 permits (ISO 32000-2 12.8.2.2: they are not changes to the document). But under an
# /All lock pyHanko 0.38's difference analysis then reports every filled text field as
# changed (it takes an appearance stream from an earlier revision for an update of the
# locked field) and the seal as broken. There the lock names no field (/Include, empty
# /Fields) and /P 1 alone forbids every other change, which pyHanko enforces the same way.
SEAL_FIELD = SigFieldSpec(
    sig_field_name=SEAL_FIELD_NAME,
    field_mdp_spec=FieldMDPSpec(action=FieldMDPAction.ALL),
    doc_mdp_update_value=MDPPerm.NO_CHANGES,
)
SEAL_FIELD_FOLLOWED_BY_VALIDATION_DATA = SigFieldSpec(
    sig_field_name=SEAL_FIELD_NAME,
    field_mdp_spec=FieldMDPSpec(action=FieldMDPAction.INCLUDE, fields=[]),
    doc_mdp_update_value=MDPPerm.NO_CHANGES,
)


def refuse_if_sealed(writer: IncrementalPdfFileWriter) -> None:
    # pyHanko only enforces certification (DocMDP) limits, not a field lock like the seal's.
    if _filled_signature_fields(writer) & {SEAL_FIELD_NAME}:
        raise FormError("the document is sealed; nothing can be added after the seal")


def refuse_if_signed(writer: IncrementalPdfFileWriter, request: SignatureRequest) -> None:
    refuse_if_sealed(writer)
    own = {signature_field_name(request.signer_id)} | {
        signature_field_name(field.id) for field in request.fields if field.kind is FieldKind.SIGNATURE
    }
    if _filled_signature_fields(writer) & own:
        raise FormError(f"signer {request.signer_id} has already signed this document")


def _filled_signature_fields(writer: IncrementalPdfFileWriter) -> set[str]:
    return {name for name, _value, _ref in enumerate_sig_fields(writer, filled_status=True)}


def own_signature_field(writer: IncrementalPdfFileWriter, fields: list[Field]) -> str | None:
    """The signer's empty /Sig field made by prepare (their first signature field), if any."""
    empty = {name for name, _value, _ref in enumerate_sig_fields(writer, filled_status=False)}
    for field in fields:
        if field.kind is FieldKind.SIGNATURE and signature_field_name(field.id) in empty:
            return signature_field_name(field.id)
    return None


def fields_to_fill(request: SignatureRequest, own_field: str | None) -> list[Field]:
    """Every field but the one the signature goes into; further signature boxes show the typed name."""
    to_fill = []
    for field in request.fields:
        if field.kind is FieldKind.SIGNATURE:
            if signature_field_name(field.id) == own_field:
                continue
            field = replace(field, value=field.value or request.signature_text)
        to_fill.append(field)
    return to_fill
