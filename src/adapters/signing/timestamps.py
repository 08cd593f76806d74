"""Time-stamping authorities (RFC 3161), tried in the configured order.

A signature at B-T or above is stamped by the first authority that answers; if none does,
signing fails (`TimestampUnavailable`): never a signature without its time stamp, never
the local clock in its place.

Each authority keeps one pyHanko `TimeStamper` for the life of the process: a new one
would first ask its TSA for a throwaway token (to learn the token's size and the TSA's
certificates) on every signature.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError

from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.dev_tsa import DevTimeStamper
from undersign.adapters.signing.timestamper_paths import PathsOncePerContext

# Per request; a second authority is tried after it, so keep it short of a client's patience.
HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class TimestampAuthority:
    name: str  # for logs and errors: the URL without credentials
    stamper: TimeStamper


class TimestampAuthorities:
    def __init__(self, authorities: Sequence[TimestampAuthority]) -> None:
        if not authorities:
            raise ValueError("at least one time-stamping authority is needed")
        self._authorities = tuple(authorities)

    @classmethod
    def over_http(cls, urls: Sequence[str], *, timeout: float = HTTP_TIMEOUT_SECONDS) -> TimestampAuthorities:
        """Real TSAs at these URLs (credentials, if any, in the URL: https://user:password@host/path)."""
        return cls([TimestampAuthority(_without_credentials(url), _HttpTimeStamper(url, timeout=timeout)) for url in urls])

    @classmethod
    def development(cls, pki: DevPki) -> TimestampAuthorities:
        return cls([TimestampAuthority("the DEVELOPMENT time-stamping authority", DevTimeStamper(pki))])

    def __iter__(self) -> Iterator[TimestampAuthority]:
        return iter(self._authorities)


class _HttpTimeStamper(PathsOncePerContext, HTTPTimeStamper):
    """pyHanko's RFC 3161 client, its TSA's certificate validated once per signature (timestamper_paths)."""


def unreachable(error: BaseException) -> TimestampRequestError | None:
    """The TSA failure behind `error`, if that is what it is: down, too slow, refusing, or answering nonsense.

    pyHanko raises it as it is or wrapped in its own errors, so the whole chain is searched.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, TimestampRequestError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
