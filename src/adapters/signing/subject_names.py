"""A person's name in a certificate subject, in any script, so that every validator can compare it.

asn1crypto, under pyHanko and so under many validators, prepares each string of a name
(RFC 4518) before comparing names, and refuses one that holds both right-to-left and
left-to-right letters ("malformed bidirectional sequence") or whose right-to-left text does
not start and end with a right-to-left letter. RFC 4518 itself says to ignore direction, but
a certificate those validators cannot even read proves nothing to their users, and pyHanko
refuses to sign with it. So a name that mixes directions becomes several common names, one
per stretch of one direction, in the order written: "Zoë Ŝtraße 王芳 محمد" is
CN=Zoë Ŝtraße 王芳, CN=محمد. Read in order and joined by spaces, they give the name back.
"""

from __future__ import annotations

import stringprep

from cryptography import x509
from cryptography.x509.oid import NameOID

# X.509 upper bound for a common name (RFC 5280 ub-common-name).
MAX_COMMON_NAME = 64


def subject(name: str, organization: str | None = None) -> x509.Name:
    """The subject for `name` (one common name per stretch of one direction), in `organization` if given."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, part) for part in common_names(name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def common_names(name: str) -> list[str]:
    """`name` cut where its letters change direction; a right-to-left stretch starts and ends with a letter."""
    text = _at_most_common_name_length(name)
    right_to_left = [i for i, char in enumerate(text) if stringprep.in_table_d1(char)]
    if not right_to_left:
        return [text] if text else []
    parts, start = [], 0
    for first, last in _stretches(text, right_to_left):
        parts += [text[start:first], text[first : last + 1]]
        start = last + 1
    parts.append(text[start:])
    return [stripped for part in parts if (stripped := part.strip())]


def _stretches(text: str, right_to_left: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of right-to-left letters that no left-to-right letter interrupts."""
    stretches: list[tuple[int, int]] = []
    for index in right_to_left:
        between = text[stretches[-1][1] + 1 : index] if stretches else ""
        if stretches and not any(stringprep.in_table_d2(char) for char in between):
            stretches[-1] = (stretches[-1][0], index)
        else:
            stretches.append((index, index))
    return stretches


def _at_most_common_name_length(text: str) -> str:
    # cryptography counts UTF-8 bytes; cut there without splitting a character.
    return text.strip().encode()[:MAX_COMMON_NAME].decode(errors="ignore").strip()
