"""The record of an envelope's certificate of completion: made once, when the envelope is sealed, then immutable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCertificate:
    """Where the certificate's bytes are kept and what they hash to: every download serves exactly these."""

    blob_key: str
    sha256: str
    size: int
    made_at: datetime
