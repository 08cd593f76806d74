"""At B-LTA, a signature's validation data and the document time stamp over it in one incremental update.

After a signature, pyHanko writes its validation data (the DSS) in an update of its own, unless a
document time stamp follows in the same signing; then both go in one update, the DSS first, under
the time stamp (SigDSSPlacementPreference.TOGETHER_WITH_NEXT_TS, its default). It knows a time stamp
follows only in its own B-LTA mode (`use_pades_lta`), which first validates the document's last time
stamp again, parsing every earlier signature (pdf_signer says why we keep out of it). So this signer
runs pyHanko's signing sequence as `PdfSigner.async_sign_pdf` does, through its interrupted-signing
steps, and hands the post-signing step the time stamp to add; the time stamp's own TSA data joins
the same update, before it (pdf_signer._metadata). The signed file is read once more instead of
three times, and one update is written instead of two or three. What goes in the DSS does not change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import IO

from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimeStamper

from undersign.adapters.signing.pdfa import PdfaKeepingSigner


@dataclass(frozen=True, slots=True)
class DocumentTimestamp:
    """The document time stamp that follows a signature, and the name of its field."""

    timestamper: TimeStamper
    field_name: str


class ArchivalPdfSigner(PdfaKeepingSigner):
    """A PDF/A-keeping signer that, given a `document_timestamp`, adds it with the signature's DSS in one update."""

    def __init__(self, *args, document_timestamp: DocumentTimestamp | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._document_timestamp = document_timestamp

    async def async_sign_pdf(
        self,
        pdf_out: BasePdfFileWriter,
        existing_fields_only: bool = False,
        bytes_reserved: int | None = None,
        *,
        appearance_text_params: dict[str, str] | None = None,
        in_place: bool = False,
        output: IO | None = None,
        chunk_size: int = misc.DEFAULT_CHUNK_SIZE,
    ) -> IO:
        if bytes_reserved is None:
            raise ValueError("the room for the signature is counted by the caller (pdf_streams.bytes_reserved)")
        session = self.init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        validation_info = await session.perform_presign_validation(pdf_out)
        tbs = session.prepare_tbs_document(
            validation_info=validation_info, bytes_reserved=bytes_reserved, appearance_text_params=appearance_text_params
        )
        digest, written = tbs.digest_tbs_document(in_place=in_place, chunk_size=chunk_size, output=output)
        signed = await tbs.perform_signature(
            document_digest=digest.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(
                signing_time=session.system_time,
                adobe_revinfo_attr=None if validation_info is None else validation_info.adobe_revinfo_attr,
                cades_signed_attrs=self.signature_meta.cades_signed_attr_spec,
            ),
        )
        instructions = signed.post_sign_instructions
        if self._document_timestamp is not None:
            if instructions is None:  # never silently a B-LTA signature without its time stamp
                raise SigningError("a document time stamp follows only a signature with its validation data")
            signed.post_sign_instructions = replace(
                instructions,
                timestamper=self._document_timestamp.timestamper,
                timestamp_field_name=self._document_timestamp.field_name,
            )
        await signed.post_signature_processing(written, chunk_size=chunk_size)
        return misc.finalise_output(output, written)
