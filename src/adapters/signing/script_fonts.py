"""Which shipped font draws which part of a line, in which direction: for stamps, fields and the certificate.

A person's name may mix scripts and directions ("Zoë Ŝtraße 王芳 محمد"); no one font covers
them all. A line is cut into runs, each drawn by one font in one direction, and the runs are
put in the order they are drawn, left to right:

- the font: a letter goes to the first font (Latin, Arabic, CJK, in that order) that has it;
  anything else (spaces, digits, punctuation, combining marks) stays with the font of the
  character before it when that font has it, so "王芳 2" is one run, not three;
- the direction and the order of the runs: the Unicode bidirectional algorithm
  (python-bidi's implementation; its levels, then its reordering of them);
- the shaping inside a run (Arabic joining forms, ligatures, marks) is HarfBuzz's, done by
  whoever draws the run (pyHanko for PDF appearances, ReportLab for the certificate).

A character no shipped font has is drawn as U+FFFD (the replacement character, a question
mark in a diamond), so a name never fails to sign for want of a glyph. Only the drawing
changes: the name stays as given wherever it is data (a field's value, the signer's
certificate), and the certificate of completion adds the code points it could not draw
("Selam ��� (U+1230 U+120B U+121D)").

Each font file is read and its character map parsed once per process. A line of printable
ASCII (most of a certificate: times, hashes, addresses) is one Latin run, left to right,
without the per-character work.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from io import BytesIO
from pathlib import Path

from bidi import algorithm as bidi_algorithm
from fontTools.ttLib import TTFont

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_FONT_PACKAGE = "undersign.adapters.signing.fonts"


@dataclass(frozen=True, slots=True)
class Face:
    """One typeface: its regular file and, where shipped, its bold one."""

    key: str
    regular: str
    bold: str | None = None

    def file(self, *, bold: bool = False) -> str:
        return (self.bold or self.regular) if bold else self.regular


LATIN = Face("latin", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
ARABIC = Face("arabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")
CJK = Face("cjk", "NotoSansCJKsc-Regular-Common.ttf")
FACES = (LATIN, ARABIC, CJK)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of one line drawn with one face in one direction; `text` is in logical (reading) order."""

    text: str
    face: Face
    rtl: bool


def font_path(file: str) -> Path:
    return Path(str(files(_FONT_PACKAGE).joinpath(file)))


@cache
def font_bytes(file: str) -> bytes:
    return font_path(file).read_bytes()


@cache
def _coverage(file: str) -> frozenset[int]:
    return frozenset(TTFont(BytesIO(font_bytes(file)), lazy=True).getBestCmap())


def covers(face: Face, char: str) -> bool:
    return ord(char) in _coverage(face.regular)


def drawable(text: str) -> str:
    """The text with every character no shipped font has replaced by U+FFFD."""
    if _plain(text):
        return text
    return "".join(c if _can_draw(c) else REPLACEMENT for c in text)


def undrawable(text: str) -> list[str]:
    """The characters of `text` no shipped font has, in order, each once."""
    if _plain(text):
        return []
    return list(dict.fromkeys(c for c in text if not _can_draw(c)))


def _plain(text: str) -> bool:
    # Printable ASCII: the Latin font has every character of it (test_fonts_in_every_script), and
    # none has a right-to-left direction.
    return text.isascii() and text.isprintable()


def _can_draw(char: str) -> bool:
    return _is_invisible(char) or any(covers(face, char) for face in FACES)


def visual_runs(line: str) -> list[Run]:
    """One line of text as runs in the order they are drawn, left to right."""
    if _plain(line):
        return [Run(text=line, face=LATIN, rtl=False)] if line else []
    return _runs(drawable(line))


def _runs(text: str) -> list[Run]:
    if not text:
        return []
    faces = _faces(text)
    runs: list[Run] = []
    start = end = level = None
    for index, char_level in _visual_order(text):
        rtl = bool(char_level % 2)
        step = -1 if rtl else 1
        if start is not None and char_level == level and faces[index] is faces[end] and index == end + step:
            end = index
            continue
        if start is not None:
            runs.append(_run(text, faces, start, end, level))
        start = end = index
        level = char_level
    if start is not None:  # else the line held only what the bidi algorithm removes (U+FEFF, say)
        runs.append(_run(text, faces, start, end, level))
    return runs


def _run(text: str, faces: list[Face], start: int, end: int, level: int) -> Run:
    low, high = min(start, end), max(start, end)
    return Run(text=text[low : high + 1], face=faces[start], rtl=bool(level % 2))


def _faces(text: str) -> list[Face]:
    chosen: list[Face] = []
    for char in text:
        previous = chosen[-1] if chosen else None
        if previous is not None and (_is_invisible(char) or (not _is_letter(char) and covers(previous, char))):
            chosen.append(previous)
        else:
            chosen.append(next((f for f in FACES if covers(f, char)), previous or LATIN))
    return chosen


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] == "L"


def _is_invisible(char: str) -> bool:
    # Joiners, marks and format characters belong to the character they follow.
    return unicodedata.category(char) in ("Mn", "Me", "Cf")


def _visual_order(text: str) -> list[tuple[int, int]]:
    """(logical index, embedding level) of each character, in visual order (UAX #9 levels and L1-L2)."""
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"] = bidi_algorithm.get_base_level(text)
    storage["base_dir"] = ("L", "R")[storage["base_level"]]
    bidi_algorithm.get_embedding_levels(text, storage)
    for index, char in enumerate(storage["chars"]):
        char["index"] = index
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    bidi_algorithm.reorder_resolved_levels(storage, False)
    # Mirroring (L4) is left to HarfBuzz, which mirrors brackets in a right-to-left run itself.
    return [(char["index"], char["level"]) for char in storage["chars"]]
