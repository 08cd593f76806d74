"""The OpenAPI document the app serves: what Litestar generates from the handlers, completed
with what the handlers cannot tell it.

Litestar documents each route's success response and a 400 shaped like its own validation
error. This module adds, in one pass over the generated document:

- the bearer security scheme (`Authorization: Bearer` with an API key, `usk_…`, or an access
  token, a JWT, from a trusted OpenID Provider), which each route that needs a credential
  requires in its own declaration (guards.requires);
- every problem response an operation can give, as `application/problem+json` with one
  shared `Problem` schema (RFC 9457; problems.py renders them), replacing Litestar's 400;
- links between operations (create an envelope → read it, add to it, send it, …), which
  clients and stateful API tests follow;
- what the generated parts leave loose: JSON request bodies that take no unknown members,
  the PDF media type of uploads and downloads, a schema for every documented response
  header; handlers' docstrings as descriptions.

It works on the generated document rather than on each handler's decorator so that the
rules read in one place and a new route gets them without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, fields
from http import HTTPStatus
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI

from undersign.entrypoints.http.api_docs import SwaggerPage, docs_router
from undersign.entrypoints.http.guards import API_KEY
from undersign.entrypoints.http.openapi_links import add_links

PROBLEM_JSON = "application/problem+json"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Operations outside /v1 (liveness, readiness) and the signer's own routes take no API key.
SIGNING_PREFIX = "/v1/signing/"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": (
        "An error, as RFC 9457 problem details. `code` is stable and meant for programs; `detail` is for "
        "people and may change. Some problems carry more members (extensions)."
    ),
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "Identifies the kind of problem: urn:undersign:problem:<code>.",
            "examples": ["urn:undersign:problem:not_found"],
        },
        "title": {"type": "string", "description": "The HTTP status phrase.", "examples": ["Not Found"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong with this request, in words."},
        "code": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]*$",
            "description": "A stable, machine-readable code (not_found, invalid_document, …).",
            "examples": ["not_found"],
        },
    },
    "additionalProperties": True,
}

_RETRY_AFTER = {
    "description": "Seconds to wait before sending the same request again.",
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}

# Each problem status: (name in components.responses, what it means here, response headers).
PROBLEMS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "The request is malformed: a parameter, header or body that does not parse or has the wrong type.", {}),
    401: (
        "Unauthorized",
        "No bearer credential, or one that is not (or no longer) good: an unknown, expired or revoked API key, "
        "a JWT that does not verify.",
        {"WWW-Authenticate": {"description": "Always `Bearer`.", "required": True, "schema": {"type": "string"}}},
    ),
    403: ("Forbidden", "The caller's role (its API key's, or the one its token maps to) does not allow this.", {}),
    404: ("NotFound", "No such resource (another tenant's resources are not found either).", {}),
    409: (
        "Conflict",
        "The resource's state does not allow this (an envelope no longer a draft, say), it changed "
        "concurrently, or the first request with this Idempotency-Key is still running.",
        {},
    ),
    410: (
        "Gone",
        "The signing link expired, a newer one was issued to the same recipient, or its envelope is closed "
        "(declined, voided, expired); or the envelope's documents were purged under its retention policy "
        "(`documents_purged`: only their SHA-256 remain).",
        {},
    ),
    412: ("PreconditionFailed", "If-Match holds no current ETag of the envelope: nothing was changed.", {}),
    413: ("ContentTooLarge", "The request body is larger than this installation accepts.", {}),
    416: (
        "RangeNotSatisfiable",
        "The byte range asked for starts past the end of the file: `Content-Range` gives its size.",
        {"Content-Range": {"description": "`bytes */<size>`", "required": True, "schema": {"type": "string"}}},
    ),
    415: ("UnsupportedMediaType", "The body is not sent as the media type the operation takes (application/json).", {}),
    422: (
        "UnprocessableContent",
        "The request is well-formed but cannot be done as asked: invalid values, an unusable PDF, "
        "an Idempotency-Key reused for another request.",
        {},
    ),
    429: (
        "TooManyRequests",
        "This client (its address, or its API key) failed too often lately, or its organisation is over "
        "its request rate: it may try again after Retry-After seconds.",
        {"Retry-After": _RETRY_AFTER},
    ),
    431: ("RequestHeaderFieldsTooLarge", "The request's header fields are larger than this installation accepts.", {}),
    503: (
        "ServiceUnavailable",
        "Something the platform needs (its database, a time-stamping authority) does not answer right now.",
        {"Retry-After": _RETRY_AFTER},
    ),
}

# Problems no rule below would find: (method, path) → statuses.
EXTRA_PROBLEMS: dict[tuple[str, str], set[int]] = {
    ("get", "/v1/envelopes/{envelope_id}/certificate"): {409, 410},  # until the envelope is completed; purged
    # Documents purged under the retention policy: nothing to read, or to hold.
    ("get", "/v1/envelopes/{envelope_id}/documents/{document_id}/content"): {410},
    ("put", "/v1/envelopes/{envelope_id}/legal-hold"): {410},
    # A draft (nothing sent, no evidence yet); documents purged under the retention policy.
    ("get", "/v1/envelopes/{envelope_id}/evidence"): {409, 410},
    ("get", "/ready"): {503},  # the database does not answer
    ("get", "/metrics"): {401, 404},  # no or a wrong scraper's token; metrics not served (no token set)
    # Signing in: the password (or the session cookie, or the step before) is the credential.
    ("post", "/sign-in/password"): {400, 401, 413, 415, 503},
    ("post", "/sign-in/password/enrol"): {401, 503},
    ("post", "/sign-in/password/second-factor"): {400, 401, 413, 415, 503},
    ("get", "/v1/session"): {401},
    ("post", "/sign-out"): {401, 403, 503},  # 403: without the session's CSRF token
}

# Which upload part holds what, for multipart request bodies.
UPLOAD_PARTS = {"file": "application/pdf", "trust_root": "application/x-pem-file"}

PDF_CONTENT = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
# Files the API hands out as attachments: PDFs, and the evidence package (a ZIP).
DOWNLOADS = ("application/pdf", "application/zip")
PDF_HEADERS = {
    "Content-Disposition": {
        "description": "attachment, with the file's name (an ASCII fallback and the exact UTF-8 one, RFC 6266).",
        "schema": {"type": "string"},
    },
}


def openapi_config() -> OpenAPIConfig:
    """The app's OpenAPI configuration: the schema at /schema/openapi.json, docs at /schema and /schema/swagger
    (Swagger UI, every asset served from here: api_docs.py)."""
    return _CompletedOpenAPIConfig(
        title="Undersign",
        version="1",
        description="Envelopes, routing, PAdES signatures and a verifiable audit trail.",
        openapi_router=docs_router(),  # at /schema
        render_plugins=[SwaggerPage()],
        use_handler_docstrings=True,  # a handler's docstring is its operation's description
    )


class _CompletedOpenAPIConfig(OpenAPIConfig):
    """Hands Litestar a document that completes itself when rendered (after Litestar filled in paths and schemas)."""

    def to_openapi_schema(self) -> OpenAPI:
        generated = super().to_openapi_schema()
        return _CompletedOpenAPI(**{f.name: getattr(generated, f.name) for f in fields(generated)})


@dataclass
class _CompletedOpenAPI(OpenAPI):
    def to_schema(self) -> dict[str, Any]:
        return complete(super().to_schema())


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the security scheme, problem responses, links and media types to a generated document (in place)."""
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = deepcopy(PROBLEM_SCHEMA)
    components.setdefault("securitySchemes", {})[API_KEY] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key (usk_…) or JWT",
        "description": (
            "`Authorization: Bearer <credential>`: an API key (`usk_…`, made with `undersign apikey create` or "
            "POST /v1/api-keys), or an access token (a JWT) from an OpenID Provider the installation trusts "
            "(UNDERSIGN_OIDC_ISSUERS). Either acts with its role, in its tenant."
        ),
    }
    components.setdefault("responses", {}).update(
        {name: _problem_response(status, description, headers) for status, (name, description, headers) in PROBLEMS.items()}
    )
    for path, method, operation in _operations(document):
        responses = operation.setdefault("responses", {})
        # Litestar's own 400 describes its exception, not the problem problems.py renders.
        generated = {int(status) for status in responses if status.isdigit() and int(status) in PROBLEMS}
        for status in sorted(generated | problem_statuses(path, method, operation)):
            responses[str(status)] = {"$ref": f"#/components/responses/{PROBLEMS[status][0]}"}
        for response in responses.values():
            _tighten(response)
        _document_uploads(operation, components["schemas"])
        _close_request_objects(operation, components["schemas"])
    add_links(document)
    return document


def problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """Every problem status the operation can answer with (500 is a bug, never documented)."""
    # Any request can be throttled (a client that failed too often) or carry too many header bytes.
    statuses = {429, 431} | EXTRA_PROBLEMS.get((method, path), set())
    if not path.startswith("/v1/"):
        return statuses
    parameters = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
    # Any API request can be malformed, or meet a database that does not answer.
    statuses |= {400, 503}
    if "security" in operation:  # the route's own declaration (guards.requires)
        statuses |= {401, 403}
    if any(where == "path" for where, _ in parameters):
        statuses.add(404)
    if path.startswith(SIGNING_PREFIX):
        statuses.add(410)
    if ("header", "If-Match") in parameters:
        statuses.add(412)
    if ("header", "Range") in parameters:
        statuses.add(416)
    if "requestBody" in operation:
        statuses |= {413, 422}
    if any(where == "query" for where, _ in parameters):
        statuses.add(422)  # a cursor that is not ours, a date without an offset
    if ("header", "Idempotency-Key") in parameters:
        statuses |= {409, 422}  # still in progress; reused for another request
    if method != "get" and path != "/v1/verify":
        statuses.add(409)  # the state does not allow it, or it changed meanwhile
    return statuses


def _problem_response(status: int, description: str, headers: dict[str, Any]) -> dict[str, Any]:
    schema = {"allOf": [{"$ref": "#/components/schemas/Problem"}, {"properties": {"status": {"const": status}}}]}
    response: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase}. {description}",
        "content": {PROBLEM_JSON: {"schema": schema}},
    }
    if headers:
        response["headers"] = headers
    return response


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _tighten(response: dict[str, Any]) -> None:
    """A schema for every header, and PDFs and ZIPs as binary strings that come as attachments."""
    for header in response.get("headers", {}).values():
        header.setdefault("schema", {"type": "string"})
    for media_type in DOWNLOADS:
        if media_type in response.get("content", {}):
            response["content"][media_type] = deepcopy(PDF_CONTENT["application/pdf"])
            response["headers"] = {**deepcopy(PDF_HEADERS), **response.get("headers", {})}


def _document_uploads(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Say which media type each part of a multipart upload holds (the handlers only know it is a file)."""
    multipart = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data")
    if multipart is None:
        return
    schema = multipart.get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rpartition("/")[2], {})
    encoding = multipart.setdefault("encoding", {})
    for part in schema.get("properties", {}):
        if part in UPLOAD_PARTS:
            encoding.setdefault(part, {"contentType": UPLOAD_PARTS[part]})


def _close_request_objects(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A JSON body's objects take no other members: the request Structs forbid unknown fields
    (schemas.Request), so a field the schema does not name is a 400, and the schema says so."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        _close(body.get("schema", {}), schemas, seen=set())


def _close(schema: dict[str, Any], schemas: dict[str, Any], seen: set[str]) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rpartition("/")[2]
        if name not in seen and name in schemas:
            seen.add(name)
            _close(schemas[name], schemas, seen)
        return
    if schema.get("type") == "object" and "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for member in schema["properties"].values():
            _close(member, schemas, seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(key, []):
            _close(option, schemas, seen)
