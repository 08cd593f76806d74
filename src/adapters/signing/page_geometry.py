"""Page geometry: how big a PDF's pages are as displayed, and where a placed field lands on them.

Shared by the inspector, which reports page sizes in displayed (top-left origin) points,
and by form preparation, which must put fields at those same places.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.rw_common import PdfHandler

from undersign.domain.field import PageSize, Placement

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageGeometry:
    """A page as it is displayed: its visible box (in user space) turned by its /Rotate."""

    ref: generic.IndirectObject
    visible_box: Box
    rotation: int

    @property
    def size(self) -> PageSize:
        llx, lly, urx, ury = self.visible_box
        width, height = urx - llx, ury - lly
        if self.rotation in (90, 270):
            width, height = height, width
        return PageSize(width=width, height=height)

    def user_rect(self, placement: Placement) -> Box:
        """The placement (top-left origin on the displayed page) as a user-space rectangle.

        /Rotate turns the page clockwise for display, so the displayed top-left corner is
        the visible box's upper-left (0), lower-left (90), lower-right (180) or upper-right
        (270) corner, and display axes run along different user-space axes in each case.
        """
        llx, lly, urx, ury = self.visible_box
        x, y, w, h = placement.x, placement.y, placement.width, placement.height
        if self.rotation == 90:
            return (llx + y, lly + x, llx + y + h, lly + x + w)
        if self.rotation == 180:
            return (urx - x - w, lly + y, urx - x, lly + y + h)
        if self.rotation == 270:
            return (urx - y - h, ury - x - w, urx - y, ury - x)
        return (llx + x, ury - y - h, llx + x + w, ury - y)


def upright_matrix(rotation: int) -> generic.ArrayObject:
    """The appearance /Matrix that turns content against the page's /Rotate, so it reads upright.

    A viewer fits the turned appearance box into the widget rectangle (ISO 32000-1, 12.5.5),
    so only the turn is needed, no translation.
    """
    turn = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}[rotation]
    return generic.ArrayObject(generic.NumberObject(n) for n in (*turn, 0, 0))


def iter_pages(handler: PdfHandler) -> Iterator[PageGeometry]:
    """Every page in order, walking the page tree once and carrying inherited attributes down."""
    root_ref = handler.root.raw_get("/Pages")
    yield from _walk(root_ref, _Inherited(), seen=set())


def page_at(handler: PdfHandler, page_ref: generic.PdfObject) -> PageGeometry | None:
    """The page `page_ref` points to (a widget's /P), or None if it is not a page of the document's page tree.

    Climbs the page's /Parent chain to the tree's root instead of walking every page: the
    cost is the tree's depth, not the document's length. Each step checks that the parent
    lists the node among its /Kids, so a /P or /Parent that points elsewhere finds nothing,
    as a walk of the tree from its root would.
    """
    chain: list[generic.DictionaryObject] = []
    seen: set[generic.Reference] = set()
    node_ref, child_ref = page_ref, None
    while True:
        if not isinstance(node_ref, generic.IndirectObject) or node_ref.reference in seen:
            return None
        seen.add(node_ref.reference)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            return None
        if child_ref is None:
            if _is_page_tree_node(node):
                return None
        elif not _is_page_tree_node(node) or not _lists_kid(node, child_ref):
            return None
        chain.append(node)
        if "/Parent" not in node:
            break
        node_ref, child_ref = node.raw_get("/Parent"), node_ref
    root_ref = handler.root.raw_get("/Pages")
    if not isinstance(root_ref, generic.IndirectObject) or node_ref.reference != root_ref.reference:
        return None
    attributes = _Inherited()
    for node in reversed(chain):
        attributes = attributes.under(node)
    return _geometry(page_ref, attributes)


@dataclass(frozen=True, slots=True)
class _Inherited:
    media_box: Box | None = None
    crop_box: Box | None = None
    rotate: int | None = None

    def under(self, node: generic.DictionaryObject) -> _Inherited:
        return _Inherited(
            media_box=_box(node["/MediaBox"]) if "/MediaBox" in node else self.media_box,
            crop_box=_box(node["/CropBox"]) if "/CropBox" in node else self.crop_box,
            rotate=int(node["/Rotate"]) if "/Rotate" in node else self.rotate,
        )


def _walk(node_ref: generic.IndirectObject, inherited: _Inherited, seen: set) -> Iterator[PageGeometry]:
    if not isinstance(node_ref, generic.IndirectObject):
        raise ValueError("a page tree node is not an indirect object")
    if node_ref.reference in seen:
        raise ValueError("the page tree has a cycle")
    seen.add(node_ref.reference)
    node = node_ref.get_object()
    attributes = inherited.under(node)
    if _is_page_tree_node(node):
        for kid in node["/Kids"]:
            yield from _walk(kid, attributes, seen)
    else:
        yield _geometry(node_ref, attributes)


def _lists_kid(node: generic.DictionaryObject, kid_ref: generic.IndirectObject) -> bool:
    kids = node["/Kids"] if "/Kids" in node else generic.ArrayObject()
    return isinstance(kids, generic.ArrayObject) and any(
        isinstance(kid, generic.IndirectObject) and kid.reference == kid_ref.reference for kid in kids
    )


def _is_page_tree_node(node: generic.DictionaryObject) -> bool:
    """An intermediate node (/Pages), as opposed to a page (a leaf)."""
    return node.get("/Type") == "/Pages" or ("/Kids" in node and node.get("/Type") != "/Page")


def _geometry(page_ref: generic.IndirectObject, attributes: _Inherited) -> PageGeometry:
    if attributes.media_box is None:
        raise ValueError("a page has no /MediaBox")
    visible = attributes.media_box
    if attributes.crop_box is not None:
        # Viewers clip the crop box to the media box (ISO 32000-1, 14.11.2).
        visible = _intersect(attributes.crop_box, attributes.media_box) or attributes.media_box
    return PageGeometry(ref=page_ref, visible_box=visible, rotation=_normal_rotation(attributes.rotate or 0))


def _box(value: generic.PdfObject) -> Box:
    x1, y1, x2, y2 = (float(number) for number in value)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _intersect(a: Box, b: Box) -> Box | None:
    llx, lly, urx, ury = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (llx, lly, urx, ury) if llx < urx and lly < ury else None


def _normal_rotation(rotate: int) -> int:
    # /Rotate must be a multiple of 90; like poppler and pdf.js, treat anything else as 0.
    rotate %= 360
    return rotate if rotate % 90 == 0 else 0
