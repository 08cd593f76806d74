"""What a signature shows in its box: the typed name, the signer and the time, upright on a rotated page.

The text is drawn with the fonts Undersign ships, embedded as subsets, so a name in any
script (Arabic shaped and right to left, CJK, Latin with any accent) reads as written; see
script_fonts for how a line is split between fonts and what stands in for a character no
font has.

With a drawn signature image (signature_images), the box shows the image instead of the
typed name, fitted above a small caption (signer and time) when the caption fits, alone
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

from undersign.adapters.signing.appearance_fonts import ScriptFonts, add_font_resources
from undersign.adapters.signing.page_geometry import upright_matrix
from undersign.adapters.signing.signature_images import draw_image_in

# The caption under a drawn image: small, and given at most this share of the box's height.
_CAPTION_FONT_SIZE = 6
_CAPTION_SHARE = 0.4
_IMAGE_MARGIN = 2.0


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


@dataclass(frozen=True)
class _SignatureImageStampStyle(_UprightTextStampStyle):
    """The drawn image fitted in the box, the stamp text as a caption under it if it fits."""

    image: PdfImage | None = None

    def create_stamp(self, writer, box: BoxConstraints, text_params: dict) -> TextStamp:
        if self.rotation in (90, 270):
            box = BoxConstraints(width=box.height, height=box.width)
        return _SignatureImageStamp(writer=writer, style=self, box=box, text_params=text_params)


class _SignatureImageStamp(_UprightTextStamp):
    def _render_inner_content(self):
        caption, (caption_width, caption_height) = self._inner_layout_natural_size()
        width, height = self.box.width, self.box.height
        margin = min(_IMAGE_MARGIN, width / 4, height / 4)
        room_width, room_height = width - 2 * margin, height - 2 * margin
        with_caption = caption_width <= room_width and caption_height <= room_height * _CAPTION_SHARE
        image_bottom = margin + (caption_height if with_caption else 0)
        commands = [
            draw_image_in(
                self, self.style.image, x=margin, y=image_bottom, width=room_width, height=height - margin - image_bottom
            )
        ]
        if with_caption:
            left = margin + (room_width - caption_width) / 2
            commands += [b"q 1 0 0 1 %g %g cm" % (round(left, 4), round(margin, 4)), *caption, b"Q"]
        return commands


def signature_stamp_style(rotation: int, image: PdfImage | None = None) -> TextStampStyle:
    """The stamp of a signature's own box: the typed name, or with `image` the drawn image, then signer and time."""
    if image is not None:
        return _SignatureImageStampStyle(
            stamp_text="Signed by %(signer)s\n%(ts)s",
            timestamp_format="%Y-%m-%d %H:%M:%S %Z",
            text_box_style=TextBoxStyle(
                font=ScriptFonts(font_size=_CAPTION_FONT_SIZE),
                font_size=_CAPTION_FONT_SIZE,
                # pyHanko's default margin (10 points a side) would never let a caption fit.
                box_layout_rule=SimpleBoxLayoutRule(
                    x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID, margins=Margins.uniform(1)
                ),
            ),
            border_width=1,
            rotation=rotation,
            image=image,
        )
    return _UprightTextStampStyle(
        stamp_text="%(typed)s\nSigned by %(signer)s\n%(ts)s",
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
        text_box_style=TextBoxStyle(font=ScriptFonts(font_size=10), font_size=10),
        border_width=1,
        rotation=rotation,
    )
