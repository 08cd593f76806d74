"""Embedded fonts for what pyHanko draws: signature stamps and filled text fields, in any script.

pyHanko's text box takes one font engine per box and shapes one line at a time. The engine
here stands for all the shipped fonts: it cuts each line into runs (script_fonts), shapes
each run with pyHanko's HarfBuzz-backed `GlyphAccumulator` for that run's font and
direction, and switches fonts between runs with `Tf`. Only the fonts a box uses are
embedded, each as a subset. The box registers one font resource itself; the others are
added to the same resource dictionary with `add_font_resources` once the box is rendered.

Cost: each font file is read and prepared once per process (`_SubsetSource`, 20 ms for the
Latin font, 170 ms and 26 MiB kept for the CJK one): HarfBuzz's font for shaping, and for
subsetting a copy of the font program without what no embedded subset keeps (layout
tables, hinting tables, glyph names), with its glyph order, metrics and outlines already
read. Every box drawn into one document revision (the filled fields and the stamp of one
signature) shares one subset per font, so a font is subset once per signature, not once
per box; it cannot be once per process, because each signer's name needs other glyphs and
subsetting rewrites the glyphs it keeps. The subset is the one pyHanko would make from the
file with the same options (tests/integration/test_appearance_font_subsets.py), at about
a third of the cost for Latin and Arabic (5 ms instead of 13) and a third for CJK (40 ms
instead of 130): the outlines kept are copied as the file has them, not decoded and encoded
again to recompute bounding boxes the file already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO

import uharfbuzz as hb
from fontTools import subset
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from undersign.adapters.signing.script_fonts import FACES, LATIN, Face, font_bytes, visual_runs

# Layout tables: used by HarfBuzz while shaping, not by a PDF viewer drawing the glyphs.
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF")
# What an embedded subset never keeps anyway (fontTools' subsetter drops them, with
# `hinting=False` for the hinting ones): left out of the program each signature parses.
_NEVER_EMBEDDED = (*_LAYOUT_TABLES, "DSIG", "fpgm", "prep", "cvt ", "hdmx", "VDMX", "LTSH")


@dataclass(frozen=True, slots=True)
class _SubsetSource:
    """One font file, prepared once per process for every signature's subset of it."""

    # The original font, layout tables included: shaping only reads it, so one serves all.
    shaper: hb.Font
    # The font program to subset, without _NEVER_EMBEDDED and without glyph names (post
    # format 3): the same glyphs, outlines and metrics, less to parse per signature.
    program: bytes
    # Its glyph order, as the original's glyph names give it: a post format 3 font would
    # otherwise derive one from its character map on every parse, which costs more.
    glyph_order: tuple[str, ...]
    # Its horizontal metrics, decompiled: a Python loop over every glyph, the largest part
    # of parsing the program. Each parse gets its own copy (the values are tuples).
    metrics: dict[str, tuple[int, int]]
    # Its outlines by glyph name, each still its bytes from the file (fontTools' Glyph before
    # `expand`), shared by every parse: copying the dictionary costs far less than slicing
    # the table again. The subsetter rewrites the glyphs it keeps, so those are made anew
    # for each subset (`_SubsetGlyphs._own_outlines`); the shared ones are never changed.
    outlines: dict[str, Glyph]
    ps_name: str
    units_per_em: int


@cache
def _subset_source(file: str) -> _SubsetSource:
    data = font_bytes(file)
    font = TTFont(BytesIO(data), lazy=True)
    if "glyf" not in font:  # pragma: no cover - every shipped font has TrueType outlines
        raise ValueError(f"{file}: only fonts with TrueType outlines are prepared here")
    glyph_order = tuple(font.getGlyphOrder())
    for tag in _NEVER_EMBEDDED:
        if tag in font:
            del font[tag]
    font["post"].formatType = 3.0
    program = BytesIO()
    font.save(program)
    reduced = TTFont(BytesIO(program.getvalue()), lazy=True)
    reduced.setGlyphOrder(list(glyph_order))
    ps_name = next(record for record in font["name"].names if record.nameID == 6).toUnicode()
    return _SubsetSource(
        shaper=hb.Font(hb.Face(data)),
        program=program.getvalue(),
        glyph_order=glyph_order,
        metrics=dict(font["hmtx"].metrics),
        outlines=dict(reduced["glyf"].glyphs),
        ps_name=ps_name,
        units_per_em=font["head"].unitsPerEm,
    )


class _SubsetGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator over a prepared `_SubsetSource`, not a font file parsed whole.

    Its __init__ is pyHanko 0.38's for a font with TrueType outlines (CIDFontType2, glyph ids
    as CIDs), with the parsed parts taken from the source: pyHanko's would parse the file
    whole, glyph names and layout tables included, for every signature. A pyHanko that
    changes its accumulator fails test_appearance_font_subsets, which compares the two.
    """

    def __init__(self, writer: BasePdfFileWriter, source: _SubsetSource, *, font_size: int) -> None:
        self.hb_font = source.shaper
        # The glyphs keep the bounding boxes the font file gives them: recomputing them would
        # decode and re-encode every kept outline (3 ms of a signature's 10 in the font), to
        # the same boxes for the shipped fonts (test_appearance_font_subsets checks).
        self.tt = TTFont(BytesIO(source.program), lazy=True, recalcBBoxes=False)
        self.tt.setGlyphOrder(list(source.glyph_order))
        metrics = newTable("hmtx")
        metrics.metrics = dict(source.metrics)
        self.tt["hmtx"] = metrics
        outlines = newTable("glyf")
        outlines.glyphOrder = self.tt.getGlyphOrder()
        outlines.glyphs = dict(source.outlines)
        self.tt["glyf"] = outlines
        self._source = source
        FontEngine.__init__(self, writer, source.ps_name, embedded_subset=True, obj_stream=None, font_size=font_size)
        self._font_ref = writer.allocate_placeholder()
        self.cff_charset = None
        self.use_raw_gids = True
        self.cidfont_obj = CIDFontType2(self.tt, source.ps_name, self.subset_prefix)
        self.features = None
        self.units_per_em = source.units_per_em
        self._glyphs = {}
        self._glyph_set = self.tt.getGlyphSet(preferCFF=True)
        self._cid_to_unicode = {}
        self._GlyphAccumulator__reverse_cmap = None  # pyHanko's lazily built reverse character map
        self.ot_language_tag = self.ot_script_tag = self.writing_direction = self.bcp47_lang_code = None
        self._subset_created = self._write_prepared = False

    def _extract_subset(self, options=None):
        # pyHanko's options, less the hinting (instructions for rasterising at small sizes on
        # screens, which viewers of a signed document do without): it halves the subsetting
        # time and the embedded subset's size. The layout tables are not in the program.
        options = subset.Options(layout_closure=False, hinting=False)
        options.drop_tables += list(_LAYOUT_TABLES)
        self._own_outlines()
        super()._extract_subset(options)
        shared = self._source.outlines
        if any(shared.get(name) is glyph for name, glyph in self.tt["glyf"].glyphs.items()):
            # A fontTools that keeps other glyphs than those made anew: what it rewrote may
            # be a shared outline, so no later subset may start from them.
            _subset_source.cache_clear()
            raise RuntimeError("the font subset kept a glyph shared with other subsets")

    def _own_outlines(self) -> None:
        """The glyphs the subset will keep (.notdef, those drawn, their components) as this subset's own."""
        outlines = self.tt["glyf"]
        order = outlines.glyphOrder
        kept: set[str] = set()
        pending = {order[0], *(order[gid] for gid in self._glyphs)}
        while pending:
            name = pending.pop()
            kept.add(name)
            pending |= set(outlines.glyphs[name].getComponentNames(outlines)) - kept
        for name in kept:
            shared = outlines.glyphs[name]
            outlines.glyphs[name] = Glyph(shared.data) if hasattr(shared, "data") else Glyph()


_NAME = "UndersignScriptFonts"


class ScriptFontsEngine(FontEngine):
    def __init__(self, writer: BasePdfFileWriter, font_size: int, *, bold: bool) -> None:
        # The writer keeps its font engines by name; the one before this one in the same
        # writer (another box of this revision) holds the subsets to share, by font file.
        before = writer.get_subset_collection(_NAME).subsets.get(None)
        # Not a font itself: the writer asks it to prepare nothing; the run engines embed.
        super().__init__(writer, _NAME, embedded_subset=False, font_size=font_size)
        self._bold = bold
        self._engines: dict[str, GlyphAccumulator] = {}
        self._revision: dict[str, GlyphAccumulator] = before._revision if isinstance(before, ScriptFontsEngine) else {}

    def _engine(self, face: Face) -> GlyphAccumulator:
        engine = self._engines.get(face.key)
        if engine is None:
            file = face.file(bold=self._bold)
            engine = self._revision.get(file)
            if engine is None:
                # The source is prepared once per process; the parsed font is per revision,
                # because embedding a subset rewrites it.
                source = _subset_source(file)
                engine = self._revision[file] = _SubsetGlyphs(self.writer, source, font_size=self.font_size)
            self._engines[face.key] = engine
        return engine

    def shape(self, txt: str) -> ShapeResult:
        operators, x_advance, y_advance = [], 0.0, 0.0
        for run in visual_runs(txt):
            engine = self._engine(run.face)
            engine.font_size = self.font_size
            engine.writing_direction = "rtl" if run.rtl else "ltr"
            shaped = engine.shape(run.text)
            operators.append(b"%s %g Tf %s" % (_resource_name(run.face), self.font_size, shaped.graphics_ops))
            x_advance += shaped.x_advance
            y_advance += shaped.y_advance
        return ShapeResult(b" ".join(operators), x_advance, y_advance)

    def as_resource(self) -> generic.PdfObject:
        # The box's own font entry: any embedded font does, every run sets its own with Tf.
        engine = next(iter(self._engines.values()), None) or self._engine(LATIN)
        return engine.as_resource()

    def font_resources(self) -> dict[str, generic.PdfObject]:
        used = (face for face in FACES if face.key in self._engines)
        return {_resource_name(face).decode(): self._engines[face.key].as_resource() for face in used}


@dataclass(frozen=True)
class ScriptFonts(FontEngineFactory):
    """A pyHanko font engine factory for `TextBoxStyle(font=...)`: the shipped fonts, any script."""

    font_size: int = 10
    bold: bool = False

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream=None) -> ScriptFontsEngine:
        return ScriptFontsEngine(writer, self.font_size, bold=self.bold)


def add_font_resources(content: PdfContent, engine: FontEngine) -> None:
    """Put every font a rendered box used into the content's resources (call after rendering)."""
    if isinstance(engine, ScriptFontsEngine):
        for name, font in engine.font_resources().items():
            content.set_resource(category=ResourceType.FONT, name=generic.pdf_name(name), value=font)


def _resource_name(face: Face) -> bytes:
    return b"/Undersign" + face.key.capitalize().encode()
