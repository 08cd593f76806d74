"""What went wrong reading an untrusted PDF, in the platform's words: too complex, or damaged.

pyHanko raises many kinds of errors on malformed input, and re-raises some of its own
limits (recursion, decoding) wrapped in parse errors; this is the one place that reads
them. The inspector, the verifier and the sandbox all refuse through it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyhanko.pdf_utils.misc import PdfDecodeLimitError

from undersign.application.shared.errors import InvalidDocument, PdfTooComplex

MAX_REASON = 200
TOO_DEEP = "the PDF nests its objects too deeply"
TOO_MUCH_MEMORY = "reading the PDF takes more memory than allowed: it is too complex"
BOMB = "a stream in the PDF inflates to more than allowed (a decompression bomb)"


def refusal_for(error: BaseException) -> InvalidDocument:
    """The refusal a parser failure amounts to: too complex when it ran out of a limit, else damaged."""
    for cause in _chain(error):
        if isinstance(cause, RecursionError):
            return PdfTooComplex(TOO_DEEP)
        if isinstance(cause, PdfDecodeLimitError):
            return PdfTooComplex(BOMB)
        if isinstance(cause, MemoryError):
            return PdfTooComplex(TOO_MUCH_MEMORY)
    return InvalidDocument(f"the PDF is damaged and cannot be read: {reason(error)}")


def reason(error: BaseException) -> str:
    """An error's message, short enough to put in a problem response."""
    return str(error)[:MAX_REASON] or type(error).__name__


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and those it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
