"""A SAML 2.0 identity provider for the tests: pysaml2's IdP role (`saml2.server.Server`) behind http.server.

Run as `python idp_server.py CONFIG.json`; the configuration names the port, the signing key and
certificate files, the xmlsec1 program and the users. It serves:

- GET /metadata: the IdP's metadata (entity id, the redirect-binding SSO endpoint, its signing
  certificate);
- GET /sso/redirect?SAMLRequest=...&RelayState=...&user=NAME: the AuthnRequest (HTTP-Redirect
  binding) answered, for the test-chosen user, with an auto-submitting HTML form that POSTs a
  signed SAMLResponse to the request's AssertionConsumerServiceURL (a browser follows it);
- GET /sso/fields?...: the same answer as JSON ({"action", "SAMLResponse", "RelayState"}), for a
  test that posts the form itself;
- POST /sp-metadata: a service provider's metadata, which the IdP then knows (as an operator
  registers an SP with its IdP).

Test-only query parameters: `user` (required), `sign` ("assertion" by default, "response",
"both" or "none"), `audience` (the SP entity id the assertion is for; the request's issuer by
default), `acs` (where the response is addressed; the request's AssertionConsumerServiceURL by
default), `alg` ("sha256" by default, or "sha1"). A real IdP checks the ACS URL against the SP's
metadata; this one trusts the request, so that a test can address an answer anywhere.
"""

from __future__ import annotations

import html
import json
import sys
import traceback
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

warnings.simplefilter("ignore")  # pysaml2's deprecation noise is not this process's business

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

ALGORITHMS = {"sha256": (SIG_RSA_SHA256, DIGEST_SHA256), "sha1": (SIG_RSA_SHA1, DIGEST_SHA1)}


def idp_config(settings: dict[str, Any]) -> IdPConfig:
    base = f"http://127.0.0.1:{settings['port']}"
    config = IdPConfig()
    config.load({
        "entityid": f"{base}/metadata",
        "service": {"idp": {
            "name": "Undersign test IdP",
            "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
            "policy": {"default": {
                "lifetime": {"minutes": settings.get("lifetime_minutes", 5)},
                "attribute_restrictions": None,
                "name_form": NAME_FORMAT_URI,
            }},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "want_authn_requests_signed": False,
        }},
        "key_file": settings["key_file"],
        "cert_file": settings["cert_file"],
        "xmlsec_binary": settings["xmlsec1"],
        "metadata": {},
        "delete_tmpfiles": True,
    })  # fmt: skip
    return config


class Handler(BaseHTTPRequestHandler):
    server_version = "UndersignTestIdP"
    idp: Server
    settings: dict[str, Any]

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {key: values[0] for key, values in urllib.parse.parse_qs(url.query).items()}
        try:
            if url.path == "/metadata":
                self._answer(200, "application/samlmetadata+xml", create_metadata_string(None, self.idp.config))
            elif url.path in ("/sso/redirect", "/sso/fields"):
                fields = self._sign_in(query)
                if url.path == "/sso/fields":
                    self._answer(200, "application/json", json.dumps(fields).encode())
                else:
                    self._answer(200, "text/html; charset=utf-8", auto_post_form(fields).encode())
            else:
                self._answer(404, "text/plain", b"not found")
        except LookupError as error:
            traceback.print_exc()
            self._answer(400, "text/plain", f"bad request: {error}".encode())

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/sp-metadata":
            self._answer(404, "text/plain", b"not found")
            return
        length = int(self.headers.get("Content-Length", "0"))
        self.idp.metadata.load("inline", self.rfile.read(length).decode())
        self._answer(204, "text/plain", b"")

    def _sign_in(self, query: dict[str, str]) -> dict[str, str]:
        import base64

        user = self.settings["users"].get(query.get("user", ""))
        if user is None:
            raise LookupError(f"no such user {query.get('user')!r}")
        request = self.idp.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        sp_entity_id = request.issuer.text.strip()
        acs = query.get("acs", request.assertion_consumer_service_url)
        sign = query.get("sign", "assertion")
        if sign not in ("assertion", "response", "both", "none"):
            raise LookupError(f"sign must be assertion, response, both or none, not {sign!r}")
        if query.get("alg", "sha256") not in ALGORITHMS:
            raise LookupError(f"alg must be sha256 or sha1, not {query.get('alg')!r}")
        sign_alg, digest_alg = ALGORITHMS[query.get("alg", "sha256")]
        identity = {"email": [user["email"]], "displayName": [user["name"]], "groups": list(user.get("groups", []))}
        response = self.idp.create_authn_response(
            identity=identity, in_response_to=request.id, destination=acs,
            sp_entity_id=query.get("audience", sp_entity_id),
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user["subject"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=sign in ("assertion", "both"), sign_response=sign in ("response", "both"),
            sign_alg=sign_alg, digest_alg=digest_alg,
        )  # fmt: skip
        return {
            "action": acs,
            "SAMLResponse": base64.b64encode(str(response).encode()).decode(),
            "RelayState": query.get("RelayState", ""),
        }

    def _answer(self, status: int, content_type: str, body: bytes | str) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


def auto_post_form(fields: dict[str, str]) -> str:
    """The HTTP-POST binding's page: a form a browser submits on load (and a button if scripts are off)."""
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(fields[name])}">'
        for name in ("SAMLResponse", "RelayState")
    )
    return (
        "<!doctype html><html><head><title>Signing you in</title></head>"
        "<body onload=\"document.forms[0].submit()\">"
        f'<form method="post" action="{html.escape(fields["action"])}">{inputs}'
        '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
    )


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        settings = json.load(file)
    Handler.settings = settings
    Handler.idp = Server(config=idp_config(settings))
    ThreadingHTTPServer(("127.0.0.1", settings["port"]), Handler).serve_forever()


if __name__ == "__main__":
    main()
