"""The signer's page in its reader's language: gettext catalogues read once, a language chosen per request.

The catalogues are the `.po` files under `locales/<language>/LC_MESSAGES/signing.po`, read with
Babel at import (no compile step: what translators edit is what runs). A message missing from a
catalogue shows in English, the language the templates are written in, so a page is never blank.

A page offers the languages of the envelope's policy (the first is its fallback); among them the
reader's `?lang=` wins, then their browser's Accept-Language, then the policy's first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "signing"
SOURCE_LANGUAGE = "en"  # the templates' own words
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
MAX_ACCEPT_LANGUAGE_ITEMS = 20  # a header is the browser's word, not an invitation to parse a megabyte


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    messages: Mapping[str, str]

    @property
    def direction(self) -> str:
        return "rtl" if self.code in RIGHT_TO_LEFT else "ltr"

    def gettext(self, message: str, **values: object) -> str:
        """`message` in this language, with `%(name)s` placeholders filled (the template escapes the result)."""
        text = self.messages.get(message) or message
        return text % values if values else text


def N_(message: str) -> str:
    """Marks `message` for the catalogues where it is named, to be translated where it is shown."""
    return message


def _read(code: str) -> Language:
    with (LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=code, domain=DOMAIN)
    return Language(code, {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string})


# The source language first: a page with no policy to ask (a link that leads nowhere) falls back to it.
LANGUAGES: dict[str, Language] = {
    path.name: _read(path.name)
    for path in sorted(LOCALES.iterdir(), key=lambda path: (path.name != SOURCE_LANGUAGE, path.name))
    if (path / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
}


def choose_language(offered: Sequence[str], asked: str | None, accept_language: str | None) -> Language:
    """The page's language among `offered` (those without a catalogue left out), as the module docstring says."""
    available = [code for code in offered if code in LANGUAGES] or [SOURCE_LANGUAGE]
    if asked in available:
        return LANGUAGES[asked]
    for code in _preferred(accept_language or ""):
        if code == "*":
            break
        if code in available:
            return LANGUAGES[code]
    return LANGUAGES[available[0]]


def _preferred(header: str) -> list[str]:
    """The primary language subtags of an Accept-Language header, most wanted first (q=0 left out)."""
    ranked = []
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [code for *_, code in sorted(ranked)]
