"""A real SAML 2.0 identity provider on loopback: pysaml2's IdP role (`saml2.server.Server`) in its own process.

`SamlIdentityProvider` generates a signing key and a self-signed certificate for the run (RSA
2048, with `cryptography`) in a temporary directory, writes the users and its settings there,
starts `tests/saml_idp/idp_server.py` on a free loopback port, waits until its metadata answers,
and stops the process by its pid afterwards. `running_saml_idp(users)` does all that as a
context manager.

`register_service_provider(metadata)` gives it a service provider's metadata, as an operator
registers an SP with an IdP (pysaml2's IdP looks the SP up when it answers).
`sign_in(redirect_url, user=...)` follows the SP's redirect (an AuthnRequest in the
HTTP-Redirect binding) the way a browser would, and returns the form fields the IdP's
auto-submitting page would POST to the SP's ACS (`action`, `SAMLResponse`, `RelayState`).
`resign(xml)` signs an edited response's assertion again with the IdP's own key, so a test can
change exactly one thing (a time window, an audience) and leave the signature good.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.prerequisites import require_program
from tests.servers import (
    START_TIMEOUT,
    ChildServer,
    answers_in_time,
    free_port,
    removed_on_failure,
    url_answers,
)

SERVER = Path(__file__).parent / "saml_idp" / "idp_server.py"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"


@dataclass(frozen=True, slots=True, kw_only=True)
class SamlUser:
    """A person the IdP signs in: `subject` is the persistent NameID; `groups` go out as the `groups` attribute."""

    subject: str
    email: str
    name: str
    groups: tuple[str, ...] = ()


def signing_key_and_certificate(directory: Path, common_name: str) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate valid for a day, written as PEM files in `directory`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_file, cert_file = directory / "signing.key", directory / "signing.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    key_file.chmod(0o600)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


class SamlIdentityProvider(ChildServer):
    """pysaml2's IdP in its own process on 127.0.0.1; `start()` once, `remove()` at the end."""

    def __init__(self, *, users: Mapping[str, SamlUser]) -> None:
        self.xmlsec1 = require_program("xmlsec1", "xmlsec1")
        self.users = dict(users)
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-saml-idp-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = self.directory / "idp.log"
        with removed_on_failure(self.directory):
            self.key_file, self.cert_file = signing_key_and_certificate(self.directory, "Undersign test IdP")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    def metadata(self) -> str:
        with urllib.request.urlopen(self.metadata_url, timeout=5) as response:
            return response.read().decode()

    def start(self) -> None:
        config = self.directory / "config.json"
        config.write_text(json.dumps({
            "port": self.port,
            "key_file": str(self.key_file),
            "cert_file": str(self.cert_file),
            "xmlsec1": self.xmlsec1,
            "users": {
                login: {"subject": user.subject, "email": user.email, "name": user.name, "groups": list(user.groups)}
                for login, user in self.users.items()
            },
        }))  # fmt: skip
        config.chmod(0o600)
        with removed_on_failure(self.directory), self.log.open("ab") as output:
            self._process = subprocess.Popen(
                [sys.executable, str(SERVER), str(config)], stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            if not answers_in_time(self._answers, self._process, timeout=START_TIMEOUT):
                self.stop()
                raise RuntimeError(f"the SAML IdP did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def register_service_provider(self, metadata: bytes) -> None:
        """Tells the IdP about a service provider (its metadata XML), as an operator registers one."""
        response = httpx.post(f"{self.base_url}/sp-metadata", content=metadata, timeout=10)
        if response.status_code != 204:
            raise RuntimeError(f"the IdP refused the SP metadata: {response.status_code} {response.text}")

    def sign_in(self, redirect_url: str, *, user: str, **options: str) -> dict[str, str]:
        """The fields the IdP's page would POST to the ACS after `user` signs in at `redirect_url`.

        `options` are the IdP's test-only parameters (`sign`, `audience`, `acs`; see idp_server.py).
        """
        if not redirect_url.startswith(f"{self.base_url}/sso/redirect?"):
            raise ValueError(f"not this IdP's sign-in endpoint: {redirect_url}")
        extra = urllib.parse.urlencode({"user": user, **options})
        fields_url = redirect_url.replace("/sso/redirect?", "/sso/fields?", 1) + "&" + extra
        response = httpx.get(fields_url, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"the IdP refused the sign-in: {response.status_code} {response.text}")
        return response.json()

    def login_page(self, redirect_url: str, *, user: str) -> str:
        """The auto-submitting HTML page a browser gets after `user` signs in."""
        response = httpx.get(f"{redirect_url}&{urllib.parse.urlencode({'user': user})}", timeout=10)
        response.raise_for_status()
        return response.text

    def resign(self, xml: bytes, *, key_file: Path | None = None, cert_file: Path | None = None) -> bytes:
        """`xml` (a Response whose one Assertion holds a Signature) with that signature made again by the IdP's key
        (or by `key_file`, with `cert_file` put in its KeyInfo, as an attacker with a key of their own would)."""
        key_file, cert_file = key_file or self.key_file, cert_file or self.cert_file
        source = self.directory / "to-sign.xml"
        target = self.directory / "signed.xml"
        source.write_bytes(xml)
        result = subprocess.run(
            [self.xmlsec1, "--sign", "--privkey-pem", f"{key_file},{cert_file}", "--id-attr:ID", ASSERTION,
             "--output", str(target), str(source)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"xmlsec1 --sign failed: {result.stderr}")
        return target.read_bytes()

    def _answers(self) -> bool:
        return url_answers(self.metadata_url)


@contextmanager
def running_saml_idp(users: Mapping[str, SamlUser]) -> Iterator[SamlIdentityProvider]:
    """A started IdP with `users` (by login name), stopped and its directory removed afterwards."""
    idp = SamlIdentityProvider(users=users)
    try:
        idp.start()
        yield idp
    finally:
        idp.remove()


def decoded(fields: Mapping[str, str]) -> bytes:
    """The SAMLResponse XML of an ACS form's fields."""
    return base64.b64decode(fields["SAMLResponse"])


def encoded(xml: bytes) -> str:
    return base64.b64encode(xml).decode()
