"""What a person's text may hold: the rules for names, subjects, reasons, addresses and file names.

Text typed by people goes into PDFs, certificates, emails and HTTP headers. Control
characters (NUL, BEL, ESC, CR, LF where one line is expected) would break or forge those,
lone surrogates cannot even be stored as UTF-8, and explicit bidirectional overrides can
make a name or a file name read as something it is not. Everything else, any script
included, is welcome.
"""

from __future__ import annotations

import re
import unicodedata

from undersign.domain.errors import InvalidInput

# LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI: they reorder what follows them on display.
# (The marks LRM, RLM and ALM, which Arabic and Hebrew text legitimately carries, stay allowed.)
DIRECTIONAL_FORMATTING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_WHITESPACE = frozenset("\n\t")

MAX_EMAIL_LENGTH = 254
_LOCAL_PART_LENGTH = 64
_LABEL_LENGTH = 63
# RFC 5322 atext, plus any non-ASCII character (RFC 6531 internationalised addresses).
_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+$")


def single_line(value: str, *, what: str, max_length: int, required: bool = True) -> str:
    """`value` trimmed, if it is one line of at most `max_length` characters of printable text."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > max_length:
        raise InvalidInput(f"{what} has at most {max_length} characters")
    if any(_refused(c) or _breaks_a_line(c) or c in DIRECTIONAL_FORMATTING for c in value):
        raise InvalidInput(f"{what} must be one line without control characters")
    return value


def multi_line(value: str, *, what: str, max_length: int, required: bool = True) -> str:
    """`value` trimmed, with line breaks as LF, if it is at most `max_length` characters of printable text."""
    value = value.replace("\r\n", "\n").strip()
    if required and not value:
        raise InvalidInput(f"{what} is empty")
    if len(value) > max_length:
        raise InvalidInput(f"{what} has at most {max_length} characters")
    if any(_refused(c) and c not in LINE_WHITESPACE for c in value):
        raise InvalidInput(f"{what} cannot contain control characters")
    return value


def email_address(value: str) -> str:
    """`value` trimmed and in lower case, if it is one mailbox `local@domain.example`.

    Deliberately narrower than RFC 5322: no display names, lists, quoted local parts,
    comments or address literals (`a@[127.0.0.1]`), which no recipient needs and which mail
    software reads in different ways. International addresses (RFC 6531) are welcome.
    """
    address = value.strip().lower()
    if not address or len(address) > MAX_EMAIL_LENGTH:
        raise InvalidInput(f"an email address has at most {MAX_EMAIL_LENGTH} characters")
    local, at, domain = address.rpartition("@")
    if not (at and _is_local_part(local) and _is_domain(domain)):
        raise InvalidInput(f"{_shown(address)} is not an email address like name@example.com")
    return address


def file_name(value: str, *, max_length: int, default: str) -> str:
    """An uploaded file's name made safe to keep and to show: anything that is not plain
    printable text, and path separators, become `_`; `default` if nothing is left."""
    kept = "".join(
        "_" if _refused(c) or _breaks_a_line(c) or c in DIRECTIONAL_FORMATTING or c in "/\\" else c
        for c in value
    )
    kept = " ".join(kept.split()).strip(" .")  # any run of white space becomes one space
    return kept[:max_length] or default


def _breaks_a_line(c: str) -> bool:
    # LF, tab, and the Unicode line and paragraph separators (U+2028, U+2029).
    return c in LINE_WHITESPACE or unicodedata.category(c) in ("Zl", "Zp")


def _refused(c: str) -> bool:
    # Cc: control characters (C0, DEL, C1). Cs: surrogates, which only a broken encoder makes.
    return unicodedata.category(c) in ("Cc", "Cs")


def _is_local_part(local: str) -> bool:
    return (
        0 < len(local) <= _LOCAL_PART_LENGTH
        and not any(_refused(c) or c in DIRECTIONAL_FORMATTING for c in local)
        and not local.startswith(".") and not local.endswith(".") and ".." not in local
        and all(_ATEXT.match(atom) for atom in local.split("."))
    )


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(_is_label(label) for label in labels)
        and not labels[-1].isdigit()  # a dotted number is an IP address, not a mail domain
    )


def _is_label(label: str) -> bool:
    return (
        0 < len(label) <= _LABEL_LENGTH
        and not label.startswith("-") and not label.endswith("-")
        and all(c == "-" or c.isascii() and c.isalnum() or not c.isascii() and _is_word_character(c) for c in label)
    )


def _is_word_character(c: str) -> bool:
    return unicodedata.category(c)[0] in "LMN"


def _shown(text: str) -> str:
    return repr(text[:80])
