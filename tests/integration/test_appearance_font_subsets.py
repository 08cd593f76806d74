"""The fonts prepared once per process give the subsets pyHanko would make from the font files, signature after signature.

appearance_fonts parses each shipped font once and shares what it parsed (glyph order,
metrics, outlines, HarfBuzz's font) between the subsets of every signature. These tests
hold it to pyHanko's own glyph accumulator over the whole file: the same drawing
operators, the same ToUnicode map, the same embedded font tables; and to no subset
changing what the next one starts from.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import PdfFileWriter

from undersign.adapters.signing.appearance_fonts import _LAYOUT_TABLES, _subset_source, _SubsetGlyphs
from undersign.adapters.signing.script_fonts import font_bytes

# (font file, lines and their direction): composed and decomposed accents, a ligature,
# Arabic joining forms and lam-alef, CJK.
CASES = [
    ("NotoSans-Regular.ttf", [("Zoë Ŝtraße g̈ ﬁ Å", None), ("Signed by Łukasz Żółć", None)]),
    ("NotoSans-Bold.ttf", [("Zoë Ŝtraße", None)]),
    ("NotoSansArabic-Regular.ttf", [("محمد بن علي لا", "rtl")]),
    ("NotoSansCJKsc-Regular-Common.ttf", [("王芳 李", None)]),
]


class _PyHankosOwn(GlyphAccumulator):
    """pyHanko's accumulator over the whole file, subset with the same options as ours (the file's bounding boxes kept)."""

    def _extract_subset(self, options=None):
        self.tt.recalcBBoxes = False
        for tag in _LAYOUT_TABLES:
            if tag in self.tt:
                del self.tt[tag]
        options = subset.Options(layout_closure=False, hinting=False)
        options.drop_tables += list(_LAYOUT_TABLES)
        super()._extract_subset(options)


def _drawn(engine: GlyphAccumulator, lines: list[tuple[str, str | None]]) -> tuple[list, dict[str, bytes], dict]:
    shaped = []
    for text, direction in lines:
        engine.writing_direction = direction
        result = engine.shape(text)
        shaped.append((result.graphics_ops, result.x_advance, result.y_advance))
    engine.prepare_write()
    program = BytesIO()
    engine.tt.save(program)
    font = TTFont(BytesIO(program.getvalue()))
    # 'head' holds the time the subset was written: compared without it.
    tables = {tag: font.reader[tag] for tag in font.reader.keys() if tag != "head"}  # noqa: SIM118 - iterating the reader gives no tags
    return shaped, tables, dict(engine._cid_to_unicode)


@pytest.mark.parametrize(("file", "lines"), CASES, ids=[file for file, _ in CASES])
def test_a_prepared_font_subsets_as_pyhanko_does_from_the_file(file: str, lines: list[tuple[str, str | None]]) -> None:
    theirs = _drawn(_PyHankosOwn(PdfFileWriter(), BytesIO(font_bytes(file)), font_size=10), lines)
    ours = _drawn(_SubsetGlyphs(PdfFileWriter(), _subset_source(file), font_size=10), lines)
    assert ours == theirs


@pytest.mark.parametrize("file", sorted({file for file, _ in CASES}))
def test_a_subset_keeps_bounding_boxes_that_are_those_of_its_outlines(file: str) -> None:
    # Subsets keep each glyph's box as the font file has it, without recomputing it: right
    # only if the shipped files' boxes are those of their outlines.
    engine = _SubsetGlyphs(PdfFileWriter(), _subset_source(file), font_size=10)
    for text, direction in next(lines for name, lines in CASES if name == file):
        engine.writing_direction = direction
        engine.shape(text)
    engine.prepare_write()
    program = BytesIO()
    engine.tt.save(program)
    outlines = TTFont(BytesIO(program.getvalue()))["glyf"]
    drawn = [name for name in outlines.glyphOrder if outlines[name].numberOfContours != 0]
    assert len(drawn) >= 3
    for name in drawn:
        glyph = outlines[name]
        stored = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
        glyph.recalcBounds(outlines)
        assert (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax) == stored, name


def test_a_subset_leaves_the_shared_outlines_as_they_were() -> None:
    source = _subset_source("NotoSans-Regular.ttf")
    before = {name: (glyph, dict(vars(glyph))) for name, glyph in source.outlines.items()}
    for text in ("Zoë Ŝtraße", "Łukasz Żółć", "Zoë Ŝtraße"):
        engine = _SubsetGlyphs(PdfFileWriter(), source, font_size=10)
        engine.shape(text)
        engine.prepare_write()
    after = {name: (glyph, dict(vars(glyph))) for name, glyph in source.outlines.items()}
    assert after.keys() == before.keys()
    # The same glyph objects, each as it was (its bytes, not expanded, not trimmed).
    assert all(after[name][0] is glyph and after[name][1] == state for name, (glyph, state) in before.items())
