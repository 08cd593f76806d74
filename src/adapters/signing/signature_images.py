"""A signer's drawn signature image: decoded with Pillow under limits, and drawn into a box.

The bytes come from the signer's browser, so they are hostile until decoded: the cheap
structural check (application.shared.signature_images) runs first, then Pillow reads the
header only (`Image.open` is lazy) and the dimensions are checked again before a single
pixel is decompressed, so a decompression bomb never inflates. Only PNG is opened (no
format sniffing), and only one frame. What is drawn is a fresh image made of the decoded
pixels alone, RGBA or grayscale with alpha: no chunk of the upload (text, ICC profile,
EXIF, private chunks) reaches the PDF.

In the PDF the image is an image XObject with its alpha as a soft mask (/SMask), scaled to
fit its box keeping its aspect ratio. A PDF/A document gets it without transparency
(PDF/A-1 forbids soft masks, and the existing appearances add none) and in DeviceGray,
which every PDF/A output intent (RGB or CMYK) allows: flattened onto white.
"""

from __future__ import annotations

import zlib
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import PdfImage

from undersign.application.shared.errors import InvalidSignatureImage
from undersign.application.shared.signature_images import (
    MAX_SIGNATURE_IMAGE_HEIGHT,
    MAX_SIGNATURE_IMAGE_PIXELS,
    MAX_SIGNATURE_IMAGE_WIDTH,
    check_signature_image,
)

_GRAYSCALE_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L"}
_IMAGE_RESOURCE = "/UndersignSignatureImage"


def read_signature_image(data: bytes) -> Image.Image:
    """The image's pixels as a fresh RGBA or LA image, or InvalidSignatureImage."""
    check_signature_image(data)
    try:
        with Image.open(BytesIO(data), formats=["PNG"]) as upload:
            width, height = upload.size
            if (
                width > MAX_SIGNATURE_IMAGE_WIDTH
                or height > MAX_SIGNATURE_IMAGE_HEIGHT
                or width * height > MAX_SIGNATURE_IMAGE_PIXELS
            ):
                raise InvalidSignatureImage(f"the signature image is {width}x{height} pixels; that is too many")
            if getattr(upload, "n_frames", 1) != 1:
                raise InvalidSignatureImage("the signature image is animated; one still image is accepted")
            upload.load()
            mode = "LA" if upload.mode in _GRAYSCALE_MODES else "RGBA"
            pixels = upload.convert(mode)
    except InvalidSignatureImage:
        raise
    # What Pillow raises on data it cannot decode: not a PNG, a broken stream, a bad CRC
    # or chunk, a truncated file, a bomb (DecompressionBombError is an Exception of its own).
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        zlib.error,
        Image.DecompressionBombError,
    ) as error:
        raise InvalidSignatureImage("the signature image could not be decoded as a PNG") from error
    # Built from the raw pixels: nothing of the upload's `info` (text, ICC, EXIF) comes along.
    return Image.frombytes(mode, pixels.size, pixels.tobytes())


def embeddable(image: Image.Image, *, pdfa: bool) -> PdfImage:
    """The image as pyHanko content (written once per writer): with an /SMask, or for PDF/A gray on white."""
    if pdfa:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA")).convert("L")
    return PdfImage(image)


def draw_image_in(content: PdfContent, image: PdfImage, *, x: float, y: float, width: float, height: float) -> bytes:
    """Commands drawing `image` in `content`, fitted into the (x, y, width, height) box, centred, aspect kept.

    The image XObject is written (once per writer, by PdfImage) and named in `content`'s resources.
    """
    if width <= 0 or height <= 0:
        return b""
    image.set_writer(content.writer)
    content.set_resource(category=ResourceType.XOBJECT, name=pdf_name(_IMAGE_RESOURCE), value=image.image_ref)
    pixels_wide, pixels_high = image.image.size
    scale = min(width / pixels_wide, height / pixels_high)
    drawn_width, drawn_height = pixels_wide * scale, pixels_high * scale
    left, bottom = x + (width - drawn_width) / 2, y + (height - drawn_height) / 2
    return b"q %g 0 0 %g %g %g cm %s Do Q" % (
        _round(drawn_width), _round(drawn_height), _round(left), _round(bottom), _IMAGE_RESOURCE.encode(),
    )  # fmt: skip


def image_field_appearance(content: PdfContent, image: PdfImage, *, width: float, height: float) -> bytes:
    """Commands for a whole field's appearance showing the image alone, with the usual small margin."""
    margin = min(2.0, width / 4, height / 4)
    return draw_image_in(content, image, x=margin, y=margin, width=width - 2 * margin, height=height - 2 * margin)


def _round(value: float) -> float:
    return round(value, 4)
