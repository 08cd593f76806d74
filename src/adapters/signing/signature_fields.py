"""Which signature field a signature goes into, the seal's lock, and the refusals: sealed, already signed."""

from __future__ import annotations

from dataclasses import replace

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, enumerate_sig_fields

from undersign.adapters.signing.page_geometry import page_at
from undersign.adapters.signing.pdf_forms import FormError, signature_field_name
from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind

SEAL_FIELD_NAME = "platform-seal"
# Every signature Undersign makes names it as the signing application (/Prop_Build /App
# /Name), so a verifier can tell a document signed through Undersign and expect its seal.
SIGNING_APPLICATION = "Undersign"

# The seal is the last signature and locks the document: its signature field's lock
# dictionary (/Lock, ISO 32000-2 12.7.5.5) says /P 1, no change of any kind permitted after
# it, and names the fields it locks. See `seal_field_spec` for why this and not a
# certification at send time, and for the fields named at each level.
SEAL_FIELD = SigFieldSpec(
    sig_field_name=SEAL_FIELD_NAME,
    field_mdp_spec=FieldMDPSpec(action=FieldMDPAction.ALL),
    doc_mdp_update_value=MDPPerm.NO_CHANGES,
)


def seal_field_spec(writer: IncrementalPdfFileWriter, *, followed_by_updates: bool) -> SigFieldSpec:
    """The seal's field: /P 1 (no changes) and a lock on every field pyHanko can check after it.

    Why a lock on the seal and not a certification (DocMDP) signature at send time: a
    certification must be the document's first signature (ISO 32000 12.8.2.2; pyHanko
    refuses it later), so it would be a platform signature made when the envelope is sent,
    at the envelope's level (a time stamp and validation data then too), in every document,
    before any recipient signs; and its P 2 would still permit anyone to add a signature or
    fill a field after completion. The seal comes last, when there is nothing left to
    permit: P 1 forbids every change but validation data and document time stamps (which
    ISO 32000-2 12.8.2.2.2 excludes from "changes"), so B-LT's DSS, B-LTA's time stamp and
    the archive renewals years later stay permitted, and anything else appended after the
    seal breaks it. A lock with /P is what Acrobat's "lock document after signing" writes.

    Which fields the lock names: at B-B and B-T nothing follows the seal, and it names them
    all (/All). From B-LT on, updates follow it, and pyHanko 0.38's difference analysis
    then reports every locked text or choice field as changed by each of them (its check
    for an appearance stream updated in place takes a stream last written in an earlier
    revision for one written now: `_allow_in_place_appearance_update` compares the stream's
    last change with the old revision, and `StandardDiffPolicy.apply` refuses a locked
    field's update whether or not the revision wrote it), which would break the seal for
    pyHanko and every tool built on it. There the lock excludes those fields (/Exclude
    names the text and choice fields, whose appearance is a single stream); /P 1 still
    forbids changing them, and pyHanko enforces it. Signature fields and check boxes stay
    named.

    Who then flags a change appended after completion (tests/integration/test_seal_lock.py):
    pyHanko (the seal's DocMDP check fails, at every level) and so our verifier; poppler's
    pdfsig reads no lock and only says whether the last signature (or, at B-LTA, document
    time stamp) covers the whole file, which at B-LT it never does.
    """
    if not followed_by_updates:
        return SEAL_FIELD
    unlockable = sorted(_single_appearance_fields(writer))
    lock = (
        FieldMDPSpec(action=FieldMDPAction.EXCLUDE, fields=unlockable)
        if unlockable
        else FieldMDPSpec(action=FieldMDPAction.ALL)
    )
    return SigFieldSpec(sig_field_name=SEAL_FIELD_NAME, field_mdp_spec=lock, doc_mdp_update_value=MDPPerm.NO_CHANGES)


def _single_appearance_fields(writer: IncrementalPdfFileWriter) -> set[str]:
    """The fully qualified names of the form's text and choice fields (by their inherited /FT)."""
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set()
    names: set[str] = set()

    def visit(fields: generic.ArrayObject, prefix: str, inherited_type: str | None) -> None:
        # Indexing resolves references; pyHanko's dictionaries' get() would hand them back raw.
        for field in fields:
            field = field.get_object()
            partial = field["/T"] if "/T" in field else None
            name = ".".join(part for part in (prefix, "" if partial is None else str(partial)) if part)
            field_type = field["/FT"] if "/FT" in field else inherited_type
            kids = [kid for kid in (field["/Kids"] if "/Kids" in field else ()) if "/T" in kid.get_object()]
            if kids:
                visit(generic.ArrayObject(kids), name, field_type)
            elif field_type in ("/Tx", "/Ch") and name:
                names.add(name)

    visit(fields, "", None)
    return names


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


def signature_field_rotation(writer: IncrementalPdfFileWriter, field_name: str) -> int:
    """The /Rotate of the page a signature field's widget is on (its /P), 0 if it names none.

    Only that page and its ancestors are read, not the whole page tree (page_geometry.page_at).
    """
    fields = {name: ref for name, _value, ref in enumerate_sig_fields(writer, with_name=field_name)}
    widget = fields[field_name].get_object()
    if "/P" not in widget:
        return 0
    page = page_at(writer, widget.raw_get("/P"))
    return page.rotation if page is not None else 0


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
