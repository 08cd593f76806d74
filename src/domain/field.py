"""Fields: the places on a document page where a recipient signs or fills something in."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from undersign.domain.errors import InvalidInput


class FieldKind(enum.StrEnum):
    SIGNATURE = "signature"
    INITIALS = "initials"
    DATE_SIGNED = "date_signed"
    TEXT = "text"
    CHECKBOX = "checkbox"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSize:
    """A page's visible size in PDF points."""

    width: float
    height: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """A rectangle on a page: 1-based page number, PDF points, origin at the top-left."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def check_fits(self, pages: list[PageSize]) -> None:
        if not 1 <= self.page <= len(pages):
            raise InvalidInput(f"page {self.page} does not exist: the document has {len(pages)} page(s)")
        if self.width <= 0 or self.height <= 0:
            raise InvalidInput("a field needs a positive width and height")
        size = pages[self.page - 1]
        if self.x < 0 or self.y < 0 or self.x + self.width > size.width or self.y + self.height > size.height:
            raise InvalidInput(
                f"the field ({self.x}, {self.y}, {self.width} x {self.height}) does not fit on page "
                f"{self.page}, which is {size.width} x {size.height} points"
            )


@dataclass(slots=True, kw_only=True)
class Field:
    """A field placed for one recipient on one document. `value` is set when they act."""

    id: str
    document_id: str
    signer_id: str
    kind: FieldKind
    placement: Placement
    required: bool = True
    value: str | None = None
