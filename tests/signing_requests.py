"""A signer's fields and signature request as the signing adapter's tests make them: one box shape, one email rule."""

from __future__ import annotations

from datetime import datetime

from undersign.application.shared.pdf import SignatureRequest
from undersign.domain.field import Field, FieldKind, Placement
from undersign.domain.policy import SignatureLevel


def box(field_id: str, signer_id: str, kind: FieldKind, y: float, value: str) -> Field:
    """A 160 × 40 field on page 1 of "doc-1", 60 points from the left, `y` from the top."""
    return Field(id=field_id, document_id="doc-1", signer_id=signer_id, kind=kind,
                 placement=Placement(page=1, x=60, y=y, width=160, height=40), value=value)  # fmt: skip


def signature_request(
    signer_id: str, name: str, fields: list[Field], level: SignatureLevel, at: datetime
) -> SignatureRequest:
    """`name` signs (typing their name) at `level`, as `signer_id`@example.com."""
    return SignatureRequest(signer_id=signer_id, name=name, email=f"{signer_id}@example.com", signature_text=name,
                            fields=fields, at=at, level=level)  # fmt: skip
