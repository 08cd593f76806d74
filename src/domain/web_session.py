"""A user's signed-in browser session, and when it ends.

A session ends at the first of: sign-out, `idle` time without a request, or `absolute` time
after sign-in (whatever the activity: a stolen cookie is not good forever). The cookie holds a
random token; only its hash is stored, like an API key's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionTimeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSession:
    id: str
    tenant_id: str
    user_id: str
    token_hash: str
    method: str  # how the user signed in: `oidc:<provider>`, `saml:<provider>`, `password`, `password+totp`
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None

    def is_live(self, now: datetime, timeouts: SessionTimeouts) -> bool:
        return (
            self.ended_at is None
            and now < self.last_seen_at + timeouts.idle
            and now < self.created_at + timeouts.absolute
        )

    def seen(self, now: datetime) -> WebSession:
        return replace(self, last_seen_at=max(now, self.last_seen_at))

    def ended(self, now: datetime) -> WebSession:
        return self if self.ended_at is not None else replace(self, ended_at=now)
