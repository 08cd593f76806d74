"""Embedded fonts for what pyHanko draws: signature stamps and filled text fields, in any script.

pyHanko's text box takes one font engine per box and shapes one line at a time. The engine
here stands for all the shipped fonts: it cuts each line into runs (script_fonts), shapes
each run with pyHanko's HarfBuzz-backed `GlyphAccumulator` for that run's font and
direction, and switches fonts between runs with `Tf`. Only the fonts a box uses are
embedded, each as a subset. The box registers one font resource itself; the others are
added to the same resource dictionary with `add_font_resources` once the box is rendered.

Cost: the font files are read once per process. Every box drawn into one document revision
(the filled fields and the stamp of one signature) shares one subset per font, so a font is
parsed and subset once per signature, not once per box; it cannot be once per process,
because pyHanko's subsetting rewrites the parsed font. pyHanko leaves the layout tables
(GSUB, GPOS, GDEF) out of an embedded subset but reads them first; dropping them before
subsetting brings Latin and Arabic down from up to 180 ms to under 10 ms each. The CJK font
(23,371 glyphs) still costs about 130 ms, paid only by a signature whose text has CJK in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from fontTools import subset
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import PdfContent, ResourceType
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from undersign.adapters.signing.script_fonts import FACES, LATIN, Face, font_bytes, visual_runs

# Layout tables: used by HarfBuzz while shaping, not by a PDF viewer drawing the glyphs.
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF")


class _SubsetGlyphs(GlyphAccumulator):
    def _extract_subset(self, options=None):
        for tag in _LAYOUT_TABLES:
            if tag in self.tt:
                del self.tt[tag]
        # pyHanko's options, less the hinting (instructions for rasterising at small sizes on
        # screens, which viewers of a signed document do without): it halves the subsetting
        # time and the embedded subset's size.
        options = subset.Options(layout_closure=False, hinting=False)
        options.drop_tables += list(_LAYOUT_TABLES)
        super()._extract_subset(options)


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
                # The bytes are read once per process; the parsed font is per revision,
                # because embedding a subset rewrites it.
                handle = BytesIO(font_bytes(file))
                engine = self._revision[file] = _SubsetGlyphs(self.writer, handle, font_size=self.font_size)
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
