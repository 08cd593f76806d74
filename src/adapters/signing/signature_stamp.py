"""What a signature shows in its box: the typed name, the signer and the time, upright on a rotated page.

The text is drawn with the fonts Undersign ships, embedded as subsets, so a name in any
script (Arabic shaped and right to left, CJK, Latin with any accent) reads as written; see
script_fonts for how a line is split between fonts and what stands in for a character no
font has.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.stamp import TextStamp, TextStampStyle

from undersign.adapters.signing.appearance_fonts import ScriptFonts, add_font_resources
from undersign.adapters.signing.page_geometry import iter_pages, upright_matrix


def field_rotation(writer: IncrementalPdfFileWriter, field_name: str) -> int:
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
    def _text_layout(self):
        commands = super()._text_layout()
        add_font_resources(self, self.text_box.font_engine)
        return commands

    def as_form_xobject(self):
        xobject = super().as_form_xobject()
        if self.style.rotation:
            xobject["/Matrix"] = upright_matrix(self.style.rotation)
        return xobject


def signature_stamp_style(rotation: int) -> TextStampStyle:
    return _UprightTextStampStyle(
        stamp_text="%(typed)s\nSigned by %(signer)s\n%(ts)s",
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
        text_box_style=TextBoxStyle(font=ScriptFonts(font_size=10), font_size=10),
        border_width=1,
        rotation=rotation,
    )
