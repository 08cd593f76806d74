"""REST v1: a tenant's signing policies. Owners and admins change them; every role reads them.

A policy's ETag names it and its version, `"<policy id>-<version>"`, as an envelope's does:
a replacement (PUT) under If-Match is refused (412) once someone else made a newer version.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from undersign.application.access.permissions import Caller, Permission
from undersign.application.policies.manage import MAX_CURSOR_LENGTH, Policies
from undersign.application.shared.errors import PreconditionFailed
from undersign.domain.policy import Policy
from undersign.entrypoints.http.etags import expected_version
from undersign.entrypoints.http.guards import requires
from undersign.entrypoints.http.idempotency import IDEMPOTENT
from undersign.entrypoints.http.policy_schemas import (
    CreatePolicyIn,
    PolicyIn,
    PolicyListOut,
    PolicyOut,
    policy_out,
    policy_settings,
)

ETAG = [ResponseHeader(name="ETag", documentation_only=True, description="The policy's version, for If-Match")]
PolicyIfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='The ETag the policy had when you read it (or "*"): if it changed since, nothing is done (412).',
    ),
]


class PoliciesController(Controller):
    path = "/v1/policies"
    tags = ["policies"]

    @post("/", status_code=201, response_headers=ETAG, **requires(Permission.MANAGE_POLICIES), **IDEMPOTENT)
    async def create_policy(
        self, data: JSONBody[CreatePolicyIn], caller: NamedDependency[Caller], policies: NamedDependency[Policies]
    ) -> Response[PolicyOut]:
        """A new policy (version 1); settings left out take their defaults. With `default`, envelopes that name
        no policy follow it from now on."""
        policy = await policies.create(caller, default=data.default, **policy_settings(data))
        return policy_response(policy, default=data.default, status_code=201)

    @get("/", **requires(Permission.READ_POLICIES))
    async def list_policies(
        self,
        caller: NamedDependency[Caller],
        policies: NamedDependency[Policies],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, QueryParameter(max_length=MAX_CURSOR_LENGTH)] = None,
    ) -> PolicyListOut:
        """The tenant's policies, each at its current version, by id."""
        page = await policies.list(caller, limit=limit, after=cursor)
        return PolicyListOut(
            items=[policy_out(p, default=p.id == page.default_id) for p in page.items], next_cursor=page.next_cursor
        )

    @get("/{policy_id:str}", response_headers=ETAG, **requires(Permission.READ_POLICIES))
    async def get_policy(
        self, policy_id: FromPath[str], caller: NamedDependency[Caller], policies: NamedDependency[Policies]
    ) -> Response[PolicyOut]:
        """The policy's current version, with its ETag."""
        policy, default = await policies.get(caller, policy_id)
        return policy_response(policy, default=default)

    @put("/{policy_id:str}", response_headers=ETAG, **requires(Permission.MANAGE_POLICIES))
    async def replace_policy(
        self,
        policy_id: FromPath[str],
        data: JSONBody[PolicyIn],
        caller: NamedDependency[Caller],
        policies: NamedDependency[Policies],
        if_match: PolicyIfMatch = None,
    ) -> Response[PolicyOut]:
        """Replace the policy's settings (those left out take their defaults): a new version, unless nothing
        changed. Envelopes already sent keep the version they were sent with; drafts get the new one when sent."""
        policy = await policies.revise(
            caller, policy_id, expected_version=policy_version(if_match, policy_id), **policy_settings(data)
        )
        _, default = await policies.get(caller, policy_id)
        return policy_response(policy, default=default)

    @post("/{policy_id:str}/default", status_code=200, response_headers=ETAG, **requires(Permission.MANAGE_POLICIES))
    async def make_default(
        self, policy_id: FromPath[str], caller: NamedDependency[Caller], policies: NamedDependency[Policies]
    ) -> Response[PolicyOut]:
        """Make the policy the tenant's default: envelopes that name no policy follow it when they are sent."""
        return policy_response(await policies.set_default(caller, policy_id), default=True)


def policy_response(policy: Policy, *, default: bool, status_code: int = 200) -> Response[PolicyOut]:
    return Response(
        content=policy_out(policy, default=default), status_code=status_code,
        headers={"ETag": f'"{policy.id}-{policy.version}"'},
    )


def policy_version(if_match: str | None, policy_id: str) -> int | None:
    """The version an If-Match header holds the policy to (None: no header, or `*`), as for envelopes."""
    try:
        return expected_version(if_match, policy_id)
    except PreconditionFailed:
        raise PreconditionFailed(
            f"If-Match holds no current ETag of policy {policy_id}: read the policy again for its ETag"
        ) from None
