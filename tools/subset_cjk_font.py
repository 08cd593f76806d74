"""Build the CJK font Undersign ships: Noto Sans CJK SC cut down to the characters in common use.

Run offline, once, when the font is to change (the result is committed):

    apt-get install fonts-noto-cjk
    .venv/bin/python tools/subset_cjk_font.py \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        src/adapters/signing/fonts/NotoSansCJKsc-Regular-Common.ttf

The full collection is ~20 MB. Kept here: every character of the national standard sets
(GB 2312, Big5 level 1, JIS X 0208, KS X 1001), all 11,172 modern Hangul syllables, kana,
CJK punctuation and the full-width forms. The character lists come from Python's own codecs,
so nothing is downloaded. Only the layout features horizontal text needs are kept (no
vertical or locale alternates: a Japanese or Korean name is drawn with the Simplified
Chinese forms of a shared ideograph). The outlines are converted from CFF to TrueType
(cubic to quadratic, within one font unit) because ReportLab embeds TrueType outlines only;
pyHanko takes either, so one file serves both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

_SIMPLIFIED_CHINESE_FACE = 2  # in NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK, then the Mono faces
_RANGES = [
    (0x0020, 0x007E),  # ASCII, for digits and punctuation inside a CJK run
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
_FEATURES = ["ccmp", "kern", "liga", "mark", "mkmk"]


def _double_byte_set(codec: str, rows: range, cells: list[int]) -> set[str]:
    found = set()
    for row in rows:
        for cell in cells:
            try:
                found.add(bytes([row, cell]).decode(codec))
            except UnicodeDecodeError:
                pass
    return {c for c in found if len(c) == 1}


def common_characters() -> set[str]:
    euc_cells = list(range(0xA1, 0xFF))
    big5_cells = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    chars = (
        _double_byte_set("gb2312", range(0xA1, 0xF8), euc_cells)
        | _double_byte_set("big5", range(0xA1, 0xC7), big5_cells)  # level 1: the frequent hanzi
        | _double_byte_set("euc_jp", range(0xA1, 0xF5), euc_cells)
        | _double_byte_set("euc_kr", range(0xA1, 0xFE), euc_cells)
    )
    for low, high in _RANGES:
        chars |= {chr(c) for c in range(low, high + 1)}
    return chars


def _subset(font: TTFont, chars: set[str]) -> None:
    options = subset.Options()
    options.layout_features = _FEATURES
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)


def _to_truetype_outlines(font: TTFont) -> None:
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)  # computes each glyph's bounds, which maxp.recalc reads
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
    ):  # fmt: skip
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    maxp.recalc(font)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str, target: str) -> None:
    font = TTFont(source, fontNumber=_SIMPLIFIED_CHINESE_FACE)
    _subset(font, common_characters())
    _to_truetype_outlines(font)
    font.save(target)
    print(f"{target}: {font['maxp'].numGlyphs} glyphs, {Path(target).stat().st_size} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:3])
