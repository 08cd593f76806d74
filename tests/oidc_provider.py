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
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import ECKey, OKPKey, RSAKey

from tests.prerequisites import require_program
from tests.servers import START_TIMEOUT, answers_in_time, free_port, removed_on_failure, stop_child

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


class OidcProvider:
    """oidc-provider in its own process on 127.0.0.1; `start()` and `rotate_keys()` may be called in turn."""

    def __init__(self, *, clients: list[Client], resources: list[str]) -> None:
        self.node = require_program("node", "nodejs")
        install_oidc_provider()
        self.clients = {client.client_id: client for client in clients}
        self.resources = resources
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-oidc-"))
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

    def stop(self) -> None:
        if self._process is None:
            return
        stop_child(self._process)
        self._process = None

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
