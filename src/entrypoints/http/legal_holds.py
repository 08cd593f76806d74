"""REST v1: an envelope's legal hold, set and released by those who manage holds (owners and admins).

`PUT` sets it (or changes its reason) with `{"reason"}`; `DELETE` releases it, with the reason in
the query (`?reason=`): a DELETE's body is one many clients and proxies drop. Both answer the
envelope, whose `legal_hold` says what stands.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from undersign.application.access.permissions import Caller, Permission
from undersign.application.envelopes.queries import EnvelopeQueries
from undersign.application.retention.legal_holds import LegalHolds, ReleaseLegalHold, SetLegalHold
from undersign.domain.envelope import MAX_REASON_LENGTH
from undersign.entrypoints.http.envelopes import ETAG, envelope_response
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.schemas import EnvelopeOut, ReasonIn


class LegalHoldController(Controller):
    path = "/v1/envelopes/{envelope_id:str}/legal-hold"
    tags = ["envelopes"]

    @put("/", response_headers=ETAG, **requires(Permission.MANAGE_LEGAL_HOLDS))
    async def set_legal_hold(
        self,
        envelope_id: FromPath[str],
        data: JSONBody[ReasonIn],
        caller: NamedDependency[Caller],
        legal_holds: NamedDependency[LegalHolds],
        envelope_queries: NamedDependency[EnvelopeQueries],
    ) -> Response[EnvelopeOut]:
        """Keep the envelope's documents past their retention until the hold is released (audited, with the reason);
        410 `documents_purged` if they are gone already."""
        await legal_holds.set(SetLegalHold(caller=caller, envelope_id=envelope_id, reason=data.reason))
        return envelope_response(*await envelope_queries.get(caller, envelope_id))

    @delete("/", status_code=200, response_headers=ETAG, **requires(Permission.MANAGE_LEGAL_HOLDS))
    async def release_legal_hold(
        self,
        envelope_id: FromPath[str],
        caller: NamedDependency[Caller],
        legal_holds: NamedDependency[LegalHolds],
        envelope_queries: NamedDependency[EnvelopeQueries],
        reason: Annotated[str, QueryParameter(max_length=MAX_REASON_LENGTH, description="why it is released")] = "",
    ) -> Response[EnvelopeOut]:
        """Release the hold, with the reason (audited): the next retention run purges the documents if they are due;
        409 `no_legal_hold` if there is none, 422 without a reason."""
        await legal_holds.release(ReleaseLegalHold(caller=caller, envelope_id=envelope_id, reason=reason))
        return envelope_response(*await envelope_queries.get(caller, envelope_id))
