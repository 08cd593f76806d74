"""An envelope's ETag, and the If-Match precondition on the requests that change it (and the
If-None-Match of downloads whose ETag is their bytes' SHA-256, the certificate of completion's).

The ETag is strong and names the envelope and its version: `"<envelope id>-<version>"`.
Strong, because If-Match compares entity tags with the strong function (RFC 9110 §13.1.1):
a weak tag could never satisfy it. Safe to be strong, because the representation changes
only with the version (documents get revisions only in the unit of work that saves their
envelope). With the id in it, the ETag of one envelope never matches another's, even at
the same version.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter

from undersign.application.shared.errors import PreconditionFailed
from undersign.domain.envelope import Envelope

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='The ETag the envelope had when you read it (or "*"): if it changed since, nothing is done (412).',
    ),
]


IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        description="The ETag of the bytes you already hold: if they are still current, 304 and no body.",
    ),
]


def held_tags(if_none_match: str | None) -> set[str]:
    """The entity tags an If-None-Match header names, unquoted; weak ones count (its comparison is weak);
    `*` (whatever is current) is kept as `*`."""
    if if_none_match is None:
        return set()
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return {tag[1:-1] for tag in tags if len(tag) > 2 and tag[0] == tag[-1] == '"'} | ({"*"} & set(tags))


def envelope_etag(envelope: Envelope) -> str:
    return f'"{envelope.id}-{envelope.version}"'


def expected_version(if_match: str | None, envelope_id: str) -> int | None:
    """The version an If-Match header holds the envelope to; None when there is none or it is `*`.

    Raises PreconditionFailed when no strong tag of this envelope is in it (a weak tag, one
    of another envelope, or a malformed one cannot match), or when it names several versions.
    """
    if if_match is None:
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        return None
    versions = set()
    for tag in tags:
        if len(tag) > 2 and tag[0] == tag[-1] == '"':
            named, _, version = tag[1:-1].rpartition("-")
            if named == envelope_id and version.isascii() and version.isdigit():
                versions.add(int(version))
    if len(versions) != 1:
        raise PreconditionFailed(
            f"If-Match holds no current ETag of envelope {envelope_id}: read the envelope again for its ETag"
        )
    return versions.pop()
