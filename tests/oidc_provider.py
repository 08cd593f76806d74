"""A real OpenID Provider on loopback: the npm package `oidc-provider` (OpenID Certified), run with the machine's Node.

The package is pinned in `tests/oidc_provider/package.json` and its lock; `npm ci` installs it
there the first time (or when the pinned version changed). `OidcProvider` writes a
configuration into a temporary directory (issuer `http://127.0.0.1:PORT`, signing keys of
each type it generates, clients allowed the client-credentials grant, the APIs it issues JWT
access tokens for), starts `node server.js` on a free loopback port, waits until its discovery
document answers, and stops the process by its pid afterwards.

`token(client_id)` is a real access token (a JWT signed by the provider) obtained with the
client-credentials grant; `rotate_keys()` restarts the provider on the same port with new
signing keys, as an identity provider rotating its keys does.

Browser sign-in: `register_web_client(redirect_uris)` registers a relying party for the
authorization code flow (dynamic registration, so a test can name a redirect URI on a port it
just chose); `accounts` (and `set_accounts()`, which takes effect at once) are the people who
can log in and their claims. The provider's development interactions log in any account id:
`log_in()` walks them with httpx (login form, consent form) up to the redirect to the client.
In a browser the login page is the form `input[name="login"]`, `input[name="password"]`
(anything), `button[type="submit"]`; the consent page is one `button[type="submit"]`
("Continue"); "[ Cancel ]" (`a[href$="/abort"]`) answers `error=access_denied`.
"""

from __future__ import annotations

import html.parser
import json
import os
import secrets
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tests.prerequisites import require_program
from tests.servers import (
    START_TIMEOUT,
    ChildServer,
    answers_in_time,
    free_port,
    removed_on_failure,
    url_answers,
)

PROJECT = Path(__file__).parent / "oidc_provider"
NPM_TIMEOUT = 300
ACCESS_TOKEN_TTL = 600


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A client of the provider and what its access tokens carry (`token_alg` signs them)."""

    client_id: str
    tenant: str | None = None
    roles: tuple[str, ...] = ()
    token_alg: str = "RS256"

    @property
    def secret(self) -> str:
        return f"secret-of-{self.client_id}"

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.secret,
            "grant_types": ["client_credentials"],
            "redirect_uris": [],
            "response_types": [],
            "token_alg": self.token_alg,
        }
        if self.tenant is not None:
            metadata["tenant"] = self.tenant
        if self.roles:
            metadata["roles"] = list(self.roles)
        return metadata


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """A person who can log in at the provider, and the claims its ID tokens carry for them."""

    account_id: str
    email: str | None = None
    email_verified: bool = True
    name: str | None = None
    groups: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # more claims; their names must be in `extra_claims`

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = dict(self.extra)
        if self.email is not None:
            claims.update(email=self.email, email_verified=self.email_verified)
        if self.name is not None:
            claims["name"] = self.name
        if self.groups:
            claims["groups"] = list(self.groups)
        return claims


@dataclass(frozen=True, slots=True, kw_only=True)
class WebClient:
    """A relying party registered for the authorization code flow (`client_secret` None: a public client)."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str


def install_oidc_provider() -> Path:
    """`npm ci` in tests/oidc_provider unless the pinned oidc-provider is there already; its node_modules."""
    node_modules = PROJECT / "node_modules"
    pinned = json.loads((PROJECT / "package.json").read_text())["dependencies"]["oidc-provider"]
    installed = node_modules / "oidc-provider" / "package.json"
    if installed.exists() and json.loads(installed.read_text()).get("version") == pinned:
        return node_modules
    npm = require_program("npm", "npm")
    result = subprocess.run(
        [npm, "ci", "--prefix", str(PROJECT), "--no-audit", "--no-fund", "--loglevel=error"],
        capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"npm ci in {PROJECT} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return node_modules


def signing_keys(generation: int) -> list[dict[str, Any]]:
    """Private JWKs, one of each type (RSA for RS256 and PS256, P-256 for ES256, Ed25519 for EdDSA)."""
    def params(kind: str) -> dict[str, str]:
        return {"kid": f"{kind}-{generation}", "use": "sig"}

    keys = [
        RSAKey.generate_key(2048, parameters=params("rsa")),
        ECKey.generate_key("P-256", parameters=params("ec")),
        OKPKey.generate_key("Ed25519", parameters=params("ed")),
    ]
    return [key.as_dict(private=True) for key in keys]


class OidcProvider(ChildServer):
    """oidc-provider in its own process on 127.0.0.1; `start()` and `rotate_keys()` may be called in turn."""

    def __init__(
        self, *, clients: list[Client], resources: list[str], accounts: Iterable[Account] = (),
        extra_claims: Iterable[str] = (),
    ) -> None:  # fmt: skip
        self.node = require_program("node", "nodejs")
        install_oidc_provider()
        self.clients = {client.client_id: client for client in clients}
        self.resources = resources
        self.extra_claims = list(extra_claims)
        self.registration_token = secrets.token_urlsafe(24)
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-oidc-"))
        self.accounts_file = self.directory / "accounts.json"
        self.set_accounts(accounts)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = self.directory / "provider.log"
        self.generation = 1
        self.keys = signing_keys(self.generation)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def private_key(self, kty: str) -> dict[str, Any]:
        """The private JWK of type `kty` ("RSA", "EC", "OKP") the provider signs with now."""
        return next(key for key in self.keys if key["kty"] == kty)

    def start(self) -> None:
        config = self.directory / "config.json"
        config.write_text(json.dumps({
            "issuer": self.issuer,
            "port": self.port,
            "keys": self.keys,
            "clients": [client.metadata() for client in self.clients.values()],
            "resources": self.resources,
            "access_token_ttl": ACCESS_TOKEN_TTL,
            "accounts_file": str(self.accounts_file),
            "extra_claims": self.extra_claims,
            "registration_token": self.registration_token,
        }))  # fmt: skip
        config.chmod(0o600)
        with removed_on_failure(self.directory), self.log.open("ab") as output:
            self._process = subprocess.Popen(
                [self.node, str(PROJECT / "server.js"), str(config)], cwd=PROJECT, stdin=subprocess.DEVNULL,
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "NODE_ENV": "test"},
            )  # fmt: skip
            if not answers_in_time(self._answers, self._process, timeout=START_TIMEOUT):
                self.stop()
                raise RuntimeError(f"oidc-provider did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def rotate_keys(self) -> None:
        """Restart with new signing keys (new key ids) in place of the old ones."""
        self.stop()
        self.generation += 1
        self.keys = signing_keys(self.generation)
        self.start()

    def token(self, client_id: str, *, resource: str | None = None) -> str:
        """A JWT access token for `client_id`, from the client-credentials grant."""
        client = self.clients[client_id]
        form = {"grant_type": "client_credentials", "scope": "api"}
        if resource is not None:
            form["resource"] = resource
        response = httpx.post(f"{self.issuer}/token", data=form, auth=(client.client_id, client.secret), timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"the provider refused a token to {client_id}: {response.status_code} {response.text}")
        return response.json()["access_token"]

    def set_accounts(self, accounts: Iterable[Account]) -> None:
        """The people who can log in from now on (the running provider reads the file at each lookup)."""
        document = {account.account_id: account.claims() for account in accounts}
        partial = self.accounts_file.with_suffix(".tmp")
        partial.write_text(json.dumps(document))
        partial.replace(self.accounts_file)

    def register_web_client(
        self, redirect_uris: Iterable[str], *,
        auth_method: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_basic",
        id_token_alg: str = "RS256",
    ) -> WebClient:  # fmt: skip
        """A new relying party for the authorization code flow (with PKCE), by dynamic registration.

        Registrations live in the provider's memory: `rotate_keys()` (a restart) forgets them.
        """
        metadata = {
            "redirect_uris": list(redirect_uris),
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": auth_method,
            "id_token_signed_response_alg": id_token_alg,
        }
        response = httpx.post(
            f"{self.issuer}/reg", json=metadata, headers={"Authorization": f"Bearer {self.registration_token}"},
            timeout=10,
        )  # fmt: skip
        if response.status_code != 201:
            raise RuntimeError(f"the provider refused to register a client: {response.status_code} {response.text}")
        registered = response.json()
        return WebClient(
            client_id=registered["client_id"], client_secret=registered.get("client_secret"),
            redirect_uris=tuple(registered["redirect_uris"]), token_endpoint_auth_method=auth_method,
        )  # fmt: skip

    def log_in(
        self, authorization_url: str, *, account_id: str, action: Literal["consent", "cancel"] = "consent",
        client: httpx.Client | None = None,
    ) -> str:  # fmt: skip
        """The URL the provider finally redirects the browser to (the client's redirect_uri with `code`
        or `error`), after logging in as `account_id` through the development interactions and
        consenting (or cancelling at the login page).

        `client` keeps the provider's cookies between calls (a browser's session); one is made otherwise.
        """
        own = client is None
        browser = client or httpx.Client(timeout=10, follow_redirects=False)
        try:
            url = authorization_url
            for _ in range(20):
                if not url.startswith(self.issuer + "/"):
                    return url  # left the provider: the redirect to the client
                response = browser.get(url)
                if response.is_redirect:
                    url = urllib.parse.urljoin(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise RuntimeError(f"the provider answered {url} with {response.status_code}: {response.text[:500]}")
                form = _form(response.text)
                if form is None:
                    raise RuntimeError(f"the provider's page at {url} has no form: {response.text[:500]}")
                action_url, fields = form
                if action == "cancel":
                    url = urllib.parse.urljoin(url, urllib.parse.urlsplit(action_url).path + "/abort")
                    continue
                if fields.get("prompt") == "login":
                    fields.update(login=account_id, password="any")
                response = browser.post(urllib.parse.urljoin(url, action_url), data=fields)
                if not response.is_redirect:
                    raise RuntimeError(f"the provider answered the {fields.get('prompt')} form with "
                                       f"{response.status_code}: {response.text[:500]}")  # fmt: skip
                url = urllib.parse.urljoin(url, response.headers["Location"])
            raise RuntimeError("the provider kept redirecting")
        finally:
            if own:
                browser.close()

    def _answers(self) -> bool:
        return url_answers(f"{self.issuer}/.well-known/openid-configuration")


class _FormReader(html.parser.HTMLParser):
    """The first form of a page: its action and its named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input" and self.action is not None and not self._done and attributes.get("name"):
            self.fields[attributes["name"] or ""] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.action is not None:
            self._done = True


def _form(page: str) -> tuple[str, dict[str, str]] | None:
    reader = _FormReader()
    reader.feed(page)
    return None if reader.action is None else (reader.action, reader.fields)
