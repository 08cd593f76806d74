"""AcroForm fields for placed Fields: added empty when a document is prepared, filled in when its signer signs.

The split between the two steps is what keeps earlier signatures valid: fields created
before anyone signs may later get a value and a new appearance, which PDF (and pyHanko's
difference analysis) counts as form filling. Creating a non-signature field after a
signature would count as an unexpected change.

A filled value is drawn with the fonts Undersign ships (appearance_fonts), embedded, so it
shows as written in any script. The form's default font (/Helv, for the /DA a viewer would
use to redraw a field) stays the standard Helvetica: filled fields are read-only and carry
their own appearance, so no viewer needs to redraw them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
from pyhanko.pdf_utils.form_tools import (
    TextFieldContent,
    annot_width_height,
    enumerate_fields_in,
    get_single_field_annot,
)
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from undersign.adapters.signing.appearance_fonts import ScriptFonts, add_font_resources
from undersign.adapters.signing.page_geometry import Box, PageGeometry, iter_pages, page_at, upright_matrix
from undersign.adapters.signing.signature_images import image_field_appearance
from undersign.domain.field import Field, FieldKind

# Helvetica is one of the 14 standard fonts every viewer has, so nothing is embedded;
# 0.5 em is its average glyph width. Only the form's default appearance names it.
HELVETICA = SimpleFontEngineFactory("Helvetica", 0.5)
TEXT_STYLE = TextBoxStyle(
    font=ScriptFonts(font_size=10),
    font_size=10,
    box_layout_rule=layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN,
        y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins.uniform(2),
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
    ),
)
_FONT_RESOURCE = "/Helv"
_DEFAULT_APPEARANCE = f"{_FONT_RESOURCE} 0 Tf 0 g"
_PRINT_FLAG = 4
_READ_ONLY_FLAG = 1
_CHECKED, _UNCHECKED = pdf_name("/Yes"), pdf_name("/Off")


class FormError(Exception):
    """The document's form does not match the fields we were asked to prepare or fill."""


def signature_field_name(field_id: str) -> str:
    return f"sig-{field_id}"


def form_field_name(field: Field) -> str:
    return f"{field.kind.value}-{field.id}"


def signing_field_ids(fields: Iterable[Field]) -> set[str]:
    """The first signature field of each signer: the one that holds their digital signature."""
    first: dict[str, str] = {}
    for field in fields:
        if field.kind is FieldKind.SIGNATURE:
            first.setdefault(field.signer_id, field.id)
    return set(first.values())


# -- prepare ----------------------------------------------------------------------------


def add_empty_fields(writer: IncrementalPdfFileWriter, fields: list[Field]) -> None:
    pages = list(iter_pages(writer))
    signing_ids = signing_field_ids(fields)
    form = _ensure_acroform(writer)
    taken = set(_field_names(form))
    for field in fields:
        page_index = field.placement.page - 1
        if not 0 <= page_index < len(pages):
            raise FormError(f"field {field.id} is on page {field.placement.page}; the document has {len(pages)}")
        page = pages[page_index]
        rect = page.user_rect(field.placement)
        name = signature_field_name(field.id) if field.id in signing_ids else form_field_name(field)
        if name in taken:
            raise FormError(f"the document already has a form field named {name}")
        taken.add(name)
        if field.id in signing_ids:
            append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=page_index, box=rect))
        elif field.kind is FieldKind.CHECKBOX:
            _add_widget_field(writer, form, page, _checkbox_field(writer, name, page, rect))
        else:
            _add_widget_field(writer, form, page, _text_field(writer, name, page, rect))


def _ensure_acroform(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(generic.DictionaryObject())
        writer.update_root()
    form = root["/AcroForm"]
    form.setdefault(pdf_name("/Fields"), generic.ArrayObject())
    resources = form.setdefault(pdf_name("/DR"), generic.DictionaryObject())
    fonts = resources.setdefault(pdf_name("/Font"), generic.DictionaryObject())
    if _FONT_RESOURCE not in fonts:
        fonts[pdf_name(_FONT_RESOURCE)] = writer.add_object(HELVETICA.create_font_engine(writer).as_resource())
    writer.update_container(form)
    return form


def _field_names(form: generic.DictionaryObject) -> Iterable[str]:
    for target_type in ("/Sig", "/Tx", "/Btn", "/Ch"):
        for name, _value, _ref in enumerate_fields_in(form["/Fields"], refs_seen=set(), target_field_type=target_type):
            yield name


def _widget(name: str, page: PageGeometry, rect: Box) -> generic.DictionaryObject:
    # Field and widget merged into one dictionary, the shape pyHanko's own fields have.
    return generic.DictionaryObject(
        {
            pdf_name("/T"): pdf_string(name),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(round(c, 3)) for c in rect),
            pdf_name("/P"): page.ref,
            pdf_name("/F"): generic.NumberObject(_PRINT_FLAG),
        }
    )


def _text_field(writer: IncrementalPdfFileWriter, name: str, page: PageGeometry, rect: Box) -> generic.DictionaryObject:
    field = _widget(name, page, rect)
    field[pdf_name("/FT")] = pdf_name("/Tx")
    field[pdf_name("/DA")] = pdf_string(_DEFAULT_APPEARANCE)
    field[pdf_name("/AP")] = _normal_appearance(writer.add_object(_raw_xobject(b"", rect)))
    return field


def _checkbox_field(
    writer: IncrementalPdfFileWriter, name: str, page: PageGeometry, rect: Box
) -> generic.DictionaryObject:
    # Both states get their appearance now; filling then only flips /V and /AS, the
    # change PDF viewers and pyHanko expect for a checkbox.
    field = _widget(name, page, rect)
    field[pdf_name("/FT")] = pdf_name("/Btn")
    outline, cross = _box_outline(rect), _cross(rect)
    states = {
        _CHECKED: writer.add_object(_raw_xobject(outline + cross, rect)),
        _UNCHECKED: writer.add_object(_raw_xobject(outline, rect)),
    }
    field[pdf_name("/AP")] = _normal_appearance(generic.DictionaryObject(states))
    field[pdf_name("/V")] = _UNCHECKED
    field[pdf_name("/AS")] = _UNCHECKED
    return field


def _normal_appearance(appearance: generic.PdfObject) -> generic.DictionaryObject:
    return generic.DictionaryObject({pdf_name("/N"): appearance})


def _size(rect: Box) -> tuple[float, float]:
    llx, lly, urx, ury = rect
    return urx - llx, ury - lly


def _raw_xobject(commands: bytes, rect: Box) -> generic.StreamObject:
    width, height = _size(rect)
    return RawContent(commands, box=layout.BoxConstraints(width=width, height=height)).as_form_xobject()


def _box_outline(rect: Box) -> bytes:
    width, height = _size(rect)
    return b"q 0.5 w 0 G 0.25 0.25 %g %g re S Q " % (width - 0.5, height - 0.5)


def _cross(rect: Box) -> bytes:
    # An X inset by 20%: symmetric, so it reads the same on a rotated page.
    width, height = _size(rect)
    dx, dy = width * 0.2, height * 0.2
    return b"q 1.5 w 0 G %g %g m %g %g l S %g %g m %g %g l S Q" % (
        dx, dy, width - dx, height - dy, dx, height - dy, width - dx, dy,
    )  # fmt: skip


def _add_widget_field(
    writer: IncrementalPdfFileWriter,
    form: generic.DictionaryObject,
    page: PageGeometry,
    field: generic.DictionaryObject,
) -> None:
    field_ref = writer.add_object(field)
    form["/Fields"].append(field_ref)
    writer.update_container(form["/Fields"])
    writer.register_annotation(page.ref, field_ref)


# -- fill -------------------------------------------------------------------------------


def fill_fields(
    writer: IncrementalPdfFileWriter, fields: list[Field], *, signature_image: PdfImage | None = None
) -> None:
    """Give each field its value and an appearance that shows it, and make it read-only.

    With a `signature_image` (the signer's drawn signature), signature fields show it
    instead of their value; initials and every other field show their value.

    Only the pages of the fields filled are read (from their widgets' /P), never the whole
    page tree: filling runs on every signature, most often with nothing to fill.
    """
    for field in fields:
        if field.value is None:
            continue
        name = form_field_name(field)
        if field.kind is FieldKind.CHECKBOX:
            _fill_checkbox(writer, name, checked=field.value == "true")
        else:
            image = signature_image if field.kind is FieldKind.SIGNATURE else None
            _fill_text(writer, name, field.value, image=image)


def _fill_text(writer: IncrementalPdfFileWriter, name: str, value: str, *, image: PdfImage | None = None) -> None:
    field_ref, field = _find_field(writer, name, "/Tx")
    if "/V" in field:
        raise FormError(f"form field {name} is filled already")
    annot = get_single_field_annot(field)
    page = page_at(writer, annot.raw_get("/P")) if "/P" in annot else None
    rotation = page.rotation if page else 0
    width, height = (float(side) for side in annot_width_height(annot))
    if rotation in (90, 270):
        width, height = height, width
    box = layout.BoxConstraints(width=width, height=height)
    if image is None:
        content = _ScriptTextFieldContent(writer, value, TEXT_STYLE, box=box)
    else:
        content = RawContent(b"", box=box)
        content.set_writer(writer)
        content.data = image_field_appearance(content, image, width=width, height=height)
    appearance = content.as_form_xobject()
    if rotation:
        appearance[pdf_name("/Matrix")] = upright_matrix(rotation)
    annot[pdf_name("/AP")] = _normal_appearance(writer.add_object(appearance))
    field[pdf_name("/V")] = pdf_string(value)
    field[pdf_name("/Ff")] = generic.NumberObject(int(field.get("/Ff", 0)) | _READ_ONLY_FLAG)
    writer.update_container(annot)
    writer.mark_update(field_ref)


class _ScriptTextFieldContent(TextFieldContent):
    def render(self) -> bytes:
        rendered = super().render()
        add_font_resources(self, self.text_box.font_engine)
        return rendered


def _fill_checkbox(writer: IncrementalPdfFileWriter, name: str, *, checked: bool) -> None:
    field_ref, field = _find_field(writer, name, "/Btn")
    state = _CHECKED if checked else _UNCHECKED
    annot = get_single_field_annot(field)
    field[pdf_name("/V")] = state
    annot[pdf_name("/AS")] = state
    field[pdf_name("/Ff")] = generic.NumberObject(int(field.get("/Ff", 0)) | _READ_ONLY_FLAG)
    writer.update_container(annot)
    writer.mark_update(field_ref)


def _find_field(
    writer: IncrementalPdfFileWriter, name: str, field_type: str
) -> tuple[generic.IndirectObject, generic.DictionaryObject]:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        raise FormError("the document has no form; was it prepared?") from None
    found = enumerate_fields_in(fields, with_name=name, refs_seen=set(), target_field_type=field_type)
    for _name, _value, field_ref in found:
        return field_ref, field_ref.get_object()
    raise FormError(f"the document has no form field named {name}; was it prepared with this field?")
