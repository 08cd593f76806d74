"""The links of the OpenAPI document: which response gives what another operation needs.

Clients and stateful API tests (schemathesis) follow them: create an envelope, then read it,
add to it and send it; add a recipient, then issue their signing link and sign with it;
register a webhook, then read, rotate or delete it; make an API key, then read or revoke it;
invite a user, then read them, change their role or disable them; make a team, then add to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Link:
    """A response of one operation that gives what another operation needs (OpenAPI Link Object)."""

    name: str
    source: tuple[str, str, str]  # method, path, status
    target: tuple[str, str]  # method, path
    parameters: dict[str, str]
    request_body: dict[str, str] | None = None
    description: str = ""


_ENVELOPE = "/v1/envelopes/{envelope_id}"
_CREATED_ENVELOPE = {"envelope_id": "$response.body#/id"}
# A change holds the new envelope to the version it was created at (the ETag of the answer).
_CHANGE_CREATED_ENVELOPE = {**_CREATED_ENVELOPE, "header.If-Match": "$response.header.ETag"}
_SAME_ENVELOPE = {"envelope_id": "$request.path.envelope_id"}
_WEBHOOK = "/v1/webhooks/{webhook_id}"
_SIGNING = "/v1/signing/{token}"
_API_KEY = "/v1/api-keys/{api_key_id}"
_USER = "/v1/users/{user_id}"

LINKS: tuple[Link, ...] = (
    *(
        Link(name, ("post", "/v1/envelopes", "201"), target, parameters, description=f"{name} the new envelope.")
        for name, target, parameters in (
            ("GetEnvelope", ("get", _ENVELOPE), _CREATED_ENVELOPE),
            ("AddDocument", ("post", f"{_ENVELOPE}/documents"), _CHANGE_CREATED_ENVELOPE),
            ("AddSigner", ("post", f"{_ENVELOPE}/signers"), _CHANGE_CREATED_ENVELOPE),
            ("PlaceField", ("post", f"{_ENVELOPE}/fields"), _CHANGE_CREATED_ENVELOPE),
            ("Send", ("post", f"{_ENVELOPE}/send"), _CHANGE_CREATED_ENVELOPE),
            ("Void", ("post", f"{_ENVELOPE}/void"), _CHANGE_CREATED_ENVELOPE),
            ("GetAuditTrail", ("get", f"{_ENVELOPE}/audit"), _CREATED_ENVELOPE),
            ("GetCertificate", ("get", f"{_ENVELOPE}/certificate"), _CREATED_ENVELOPE),
        )
    ),
    Link(
        "GetDocumentContent", ("post", f"{_ENVELOPE}/documents", "201"),
        ("get", f"{_ENVELOPE}/documents/{{document_id}}/content"),
        {**_SAME_ENVELOPE, "document_id": "$response.body#/id"}, description="The uploaded PDF.",
    ),
    Link(
        "PlaceFieldOnDocument", ("post", f"{_ENVELOPE}/documents", "201"), ("post", f"{_ENVELOPE}/fields"),
        _SAME_ENVELOPE, {"document_id": "$response.body#/id"}, description="A field on the uploaded document.",
    ),
    Link(
        "CreateSigningLink", ("post", f"{_ENVELOPE}/signers", "201"),
        ("post", f"{_ENVELOPE}/signers/{{signer_id}}/signing-link"),
        {**_SAME_ENVELOPE, "signer_id": "$response.body#/id"}, description="A signing link for the new recipient.",
    ),
    Link(
        "PlaceFieldForSigner", ("post", f"{_ENVELOPE}/signers", "201"), ("post", f"{_ENVELOPE}/fields"),
        _SAME_ENVELOPE, {"signer_id": "$response.body#/id"}, description="A field for the new recipient.",
    ),
    *(
        Link(
            name, ("post", f"{_ENVELOPE}/signers/{{signer_id}}/signing-link", "201"), target,
            {"token": "$response.body#/token"}, description=f"{name} as the recipient the link is for.",
        )
        for name, target in (
            ("OpenSigningSession", ("get", _SIGNING)),
            ("Sign", ("post", f"{_SIGNING}/sign")),
            ("Decline", ("post", f"{_SIGNING}/decline")),
        )
    ),
    *(
        Link(name, ("post", "/v1/webhooks", "201"), target, {"webhook_id": "$response.body#/id"},
             description=f"{name} of the new webhook endpoint.")
        for name, target in (
            ("GetWebhook", ("get", _WEBHOOK)),
            ("DeleteWebhook", ("delete", _WEBHOOK)),
            ("RotateSecret", ("post", f"{_WEBHOOK}/rotate-secret")),
            ("ListDeliveries", ("get", f"{_WEBHOOK}/deliveries")),
        )
    ),
    *(
        Link(name, ("post", "/v1/api-keys", "201"), target, {"api_key_id": "$response.body#/id"},
             description=f"{name}: the new key.")
        for name, target in (("GetApiKey", ("get", _API_KEY)), ("RevokeApiKey", ("post", f"{_API_KEY}/revoke")))
    ),
    *(
        Link(name, ("post", "/v1/users", "201"), target, {"user_id": "$response.body#/id"},
             description=f"{name}: the invited user.")
        for name, target in (
            ("GetUser", ("get", _USER)), ("ChangeUserRole", ("post", f"{_USER}/role")),
            ("DisableUser", ("post", f"{_USER}/disable")),
        )
    ),
    Link(
        "AddTeamMember", ("post", "/v1/teams", "201"), ("post", "/v1/teams/{team_id}/members"),
        {"team_id": "$response.body#/id"}, description="A member of the new team.",
    ),
)


def add_links(document: dict[str, Any]) -> None:
    paths = document.get("paths", {})
    for link in LINKS:
        method, path, status = link.source
        target_method, target_path = link.target
        source = paths.get(path, {}).get(method)
        target = paths.get(target_path, {}).get(target_method)
        if source is None or target is None or status not in source.get("responses", {}):
            raise LookupError(f"OpenAPI link {link.name}: no operation {link.source} or {link.target}")
        definition: dict[str, Any] = {
            "operationId": target["operationId"],
            "parameters": link.parameters,
            "description": link.description,
        }
        if link.request_body is not None:
            definition["requestBody"] = link.request_body
        source["responses"][status].setdefault("links", {})[link.name] = definition
