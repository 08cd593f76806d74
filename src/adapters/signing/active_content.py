"""Active content in a PDF: anything that runs when the document is opened or used.

What is refused (inspector.py turns a finding into a pdf_active_content refusal): JavaScript
wherever it is; actions other than going to a place in the document, following a web or mail
link, or showing and hiding parts of it; anything but a go-to that runs by itself (an
/OpenAction, an /AA trigger, and what their /Next chains run after them); links to other
schemes than http(s), mailto and tel; XFA forms; multimedia and 3D annotations, whose players
run scripts of their own. Every object of the file is read, without recursion and within the
nesting limit, so nothing is missed by being unreferenced or packed in an object stream.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from undersign.adapters.signing.pdf_errors import refusal_for
from undersign.adapters.signing.sandbox import PdfLimits
from undersign.application.shared.errors import PdfTooComplex

# Actions a reader may click: moving within the document, following a link, showing or hiding parts.
SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named", "/Thread", "/SetOCGState", "/Hide", "/Trans", "/ResetForm"})
# Actions that run by themselves (as the document or a page opens, a field changes): only going to a place.
SAFE_AUTOMATIC_ACTIONS = frozenset({"/GoTo"})
SAFE_URI_SCHEMES = ("http:", "https:", "mailto:", "tel:")
# Annotations that play media or 3D models, whose players run scripts of their own.
MULTIMEDIA_ANNOTATIONS = frozenset({"/3D", "/RichMedia", "/Screen", "/Movie", "/Sound"})
# Keys whose value is an action a reader triggers (/OpenAction and /AA run on their own).
_CLICKED_ACTION_KEYS = frozenset({"/A", "/Next", "/PA"})


def first_active_content(reader: PdfFileReader, limits: PdfLimits) -> str | None:
    first = None
    for ref in _every_object(reader):
        try:
            value = reader.get_object(ref)
            finding = _active_content_in(value, limits)
        except PdfTooComplex:
            raise
        except Exception as error:  # an object that cannot be read is damage
            raise refusal_for(error) from error
        first = first or finding
    return first


def _every_object(reader: PdfFileReader) -> Iterator[generic.Reference]:
    seen: set[tuple[int, int]] = set()
    for revision in range(reader.xrefs.total_revisions):
        for ref in reader.xrefs.explicit_refs_in_revision(revision):
            if (ref.idnum, ref.generation) not in seen:
                seen.add((ref.idnum, ref.generation))
                yield ref


def _active_content_in(value: generic.PdfObject, limits: PdfLimits) -> str | None:
    """What active content the object holds, in words; None if none. Walks it without recursion."""
    stack: list[tuple[generic.PdfObject, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limits.max_nesting:
            raise PdfTooComplex(f"the PDF nests arrays and dictionaries more than {limits.max_nesting} levels deep")
        if isinstance(item, generic.DictionaryObject):
            finding = _activeentry_of(item)
            if finding:
                return finding
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, generic.DictionaryObject | generic.ArrayObject))
        elif isinstance(item, generic.ArrayObject):
            stack.extend((v, depth + 1) for v in item if isinstance(v, generic.DictionaryObject | generic.ArrayObject))
    return None


def _activeentry_of(entry: generic.DictionaryObject) -> str | None:
    if "/JS" in entry or "/JavaScript" in entry:
        return "JavaScript"
    if "/XFA" in entry:
        return "an XFA form"
    if "/OnInstantiate" in entry or entry_of(entry, "/Subtype") in MULTIMEDIA_ANNOTATIONS:
        return "a multimedia annotation (3D, rich media, a screen, a movie or a sound), which can run scripts"
    for action, safe, when in _actions_of(entry):
        if isinstance(action, generic.DictionaryObject):  # else a destination: always safe
            finding = _unsafe_action(action, safe)
            if finding:
                return f"{finding}{when}"
    return None


def _actions_of(entry: generic.DictionaryObject) -> Iterator[tuple[generic.PdfObject, frozenset[str], str]]:
    """The actions an entry holds, each with the kinds that are safe for it and when it runs."""
    if entry_of(entry, "/Type") == "/Action":
        yield entry, SAFE_ACTIONS, ""
    for key in sorted(_CLICKED_ACTION_KEYS & set(entry.keys())):
        value = _resolved(entry.raw_get(key))
        # /Next may list several actions.
        for action in value if key == "/Next" and isinstance(value, generic.ArrayObject) else [value]:
            yield _resolved(action), SAFE_ACTIONS, ""
    if "/OpenAction" in entry:  # an array there is a destination, not actions
        for action in _followed_by_next(entry.raw_get("/OpenAction")):
            yield action, SAFE_AUTOMATIC_ACTIONS, " as the document opens"
    triggers = _resolved(entry.raw_get("/AA")) if "/AA" in entry else None
    if isinstance(triggers, generic.DictionaryObject):  # page open or close, a field changing, ...
        for key in triggers:
            for action in _followed_by_next(triggers.raw_get(key)):
                yield action, SAFE_AUTOMATIC_ACTIONS, " that runs by itself"


def _followed_by_next(first: generic.PdfObject) -> Iterator[generic.PdfObject]:
    """An action that runs by itself and the ones its /Next runs after it (each once: /Next may loop)."""
    pending, seen = [first], set()
    while pending:
        action = _resolved(pending.pop())
        if id(action) in seen:
            continue
        seen.add(id(action))
        yield action
        if isinstance(action, generic.DictionaryObject) and "/Next" in action:
            following = _resolved(action.raw_get("/Next"))
            pending.extend(following if isinstance(following, generic.ArrayObject) else [following])


def _unsafe_action(action: generic.DictionaryObject, safe: frozenset[str]) -> str | None:
    """Why an action is not safe where it is; None if it is."""
    kind = entry_of(action, "/S")
    if kind is None:
        return None
    if kind not in safe:
        return f"a {str(kind).lstrip('/')} action"
    if kind == "/URI":
        uri = entry_of(action, "/URI")
        text = bytes(uri).decode("latin-1") if isinstance(uri, bytes) else str(uri or "")
        if not text.strip().lower().startswith(SAFE_URI_SCHEMES):
            return f"a link to {text.split(':', 1)[0][:20]!r}"
    return None


def _resolved(value: generic.PdfObject) -> generic.PdfObject:
    return value.get_object() if isinstance(value, generic.IndirectObject) else value


def entry_of(dictionary: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """The value under `key`, an indirect one read (pyHanko's `get` would hand the reference back)."""
    return dictionary[key] if key in dictionary else None
