"""What poppler reads back from a PDF's text: its fonts (pdffonts) and its words (pdftotext), names in any script.

What pdftotext gives back from right-to-left text (checked with poppler 22.12):
- the certificate of completion (ReportLab): the Arabic words in reading (logical) order,
  wrapped in the bidi controls U+202B...U+202C, each letter as the Arabic presentation form
  that was drawn (ﻣﺤﻤﺪ for محمد). Unicode compatibility normalisation (NFKC) maps those forms
  back to the letters: `as_read` gives the text a reader sees. On a line that mixes
  directions, spaces and numbers come back where they are drawn ("Ali محمد بن علي Jr" as
  "Ali  محمد بن عليJr", "محمد 2" as "2 محمد"): compare such a name word by word.
- stamps and fields (pyHanko): the Arabic letters themselves but in drawing order, so a
  right-to-left run comes back reversed ("يلع نب دمحم" for "محمد بن علي"), although pyHanko
  marks each run with its /ActualText in reading order: `drawn_order` gives a name that way.
"""

from __future__ import annotations

import subprocess
import tempfile
import unicodedata
from pathlib import Path

from tests.pdf_checks import require_tool
from undersign.adapters.signing.script_fonts import visual_runs

_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


def _poppler(tool: str, pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        command = [require_tool(tool), str(path)] + (["-"] if tool == "pdftotext" else [])
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def pdffonts(pdf: bytes) -> list[dict[str, str]]:
    """pdffonts' rows: the font's name (which has no spaces), emb, sub, uni and its object number."""
    rows = []
    for line in _poppler("pdffonts", pdf).splitlines()[2:]:
        words = line.split()
        rows.append({"name": words[0], "emb": words[-5], "sub": words[-4], "uni": words[-3], "object": words[-2]})
    return rows


def base_font_names(rows: list[dict[str, str]]) -> set[str]:
    """The fonts' names without their subset prefix (ABCDEF+) or CMap suffix (-Identity-H)."""
    return {row["name"].split("+", 1)[-1].removesuffix("-Identity-H") for row in rows}


def fonts_added(before: bytes, after: bytes) -> list[dict[str, str]]:
    """The fonts `after` has that `before` had not (make_pdf's page text is in Courier, not embedded)."""
    known = {row["object"] for row in pdffonts(before)}
    return [row for row in pdffonts(after) if row["object"] not in known]


def pdftotext(pdf: bytes) -> str:
    """pdftotext's text, bidi controls left out."""
    return _poppler("pdftotext", pdf).translate(_BIDI_CONTROLS)


def as_read(text: str) -> str:
    """Text as a reader sees it: Arabic presentation forms (as ReportLab's text extracts) folded to letters."""
    return unicodedata.normalize("NFKC", text)


def drawn_order(text: str) -> str:
    """Text as pdftotext gives it back from a pyHanko appearance: right-to-left runs in drawing order."""
    return "".join(run.text[::-1] if run.rtl else run.text for run in visual_runs(text))
