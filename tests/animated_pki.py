"""A real test PKI on loopback: certomancer's Animator serving a TSA, an OCSP responder and CRLs.

Made fresh for a test session in a temporary directory: EC keys, a certomancer
configuration (root CA, issuing CA, OCSP responder, TSA, two signers, one revoked signer,
one expired signer, a seal), then `certomancer animate` on a free 127.0.0.1 port, stopped
by its pid afterwards. Every certificate names the Animator's URLs for its revocation
status, so a signer that fetches revocation data talks HTTP to it like to a real CA.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.servers import START_TIMEOUT, answers_in_time, free_port, removed_on_failure, stop_child

ARCH = "undersign-test"
KEYS = ("root", "interm", "interm-ocsp", "tsa", "alice", "bob", "mallory", "eve", "seal")


class AnimatedPki:
    """Certificates and keys of the test PKI, and the URLs its services answer on."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="undersign-pki-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._process: subprocess.Popen[bytes] | None = None
        with removed_on_failure(self.directory):
            self._write_keys()
            self.config = self.directory / "certomancer.yml"
            self.config.write_text(yaml.safe_dump(self._configuration(), sort_keys=False))
            self.certs_dir = self.directory / "certs"
            self._certomancer("mass-summon", "--flat", "--no-pfx", ARCH, str(self.certs_dir))

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def root_pem(self) -> Path:
        return self.certs_dir / "root.cert.pem"

    def cert(self, label: str) -> x509.Certificate:
        return x509.load_pem_x509_certificate((self.certs_dir / f"{label}.cert.pem").read_bytes())

    def key(self, label: str) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key((self.directory / "keys" / f"{label}.key.pem").read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "certomancer", "--config", str(self.config), "animate",
             "--port", str(self.port), "--no-web-ui"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        if not answers_in_time(self._answers, self._process):
            raise RuntimeError(f"certomancer animate did not start:\n{self._stop()}")

    def remove(self) -> None:
        try:
            self._stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _stop(self) -> str:
        if self._process is None:
            return ""
        stop_child(self._process)
        stderr = self._process.stderr.read().decode(errors="replace")[-3000:] if self._process.stderr else ""
        if self._process.stderr:
            self._process.stderr.close()
        self._process = None
        return stderr

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/{ARCH}/crls/root/latest.crl", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _certomancer(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "certomancer", "--config", str(self.config), *args],
            capture_output=True, text=True, timeout=START_TIMEOUT, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"certomancer {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")

    def _write_keys(self) -> None:
        (self.directory / "keys").mkdir()
        for label in KEYS:
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            (self.directory / "keys" / f"{label}.key.pem").write_bytes(pem)

    def _configuration(self) -> dict:
        def when(delta: timedelta) -> str:
            return (self.now + delta).strftime("%Y-%m-%dT%H:%M:%S+0000")

        def validity(start: timedelta, end: timedelta) -> dict:
            return {"valid-from": when(start), "valid-to": when(end)}

        def usage(*names: str) -> dict:
            return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(names)}}

        def crl_from(issuer: str) -> dict:
            return {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                                      "params": {"crl-repo-names": [issuer]}}}  # fmt: skip

        ca_validity = validity(-timedelta(days=30), timedelta(days=3650))
        signer = {
            "issuer": "interm",
            "validity": validity(-timedelta(days=1), timedelta(days=1)),
            "extensions": [
                usage("digital_signature", "non_repudiation"),
                crl_from("interm"),
                {"id": "authority_information_access",
                 "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}}},
            ],
        }  # fmt: skip
        return {
            "external-url-prefix": self.url,
            "keysets": {ARCH: {"path-prefix": str(self.directory / "keys"),
                               "keys": {label: {"path": f"{label}.key.pem"} for label in KEYS}}},
            "pki-architectures": {
                ARCH: {
                    "keyset": ARCH,
                    "entity-defaults": {"country-name": "BE", "organization-name": "Undersign test PKI"},
                    "entities": {
                        "root": {"common-name": "Test Root CA"},
                        "interm": {"common-name": "Test Issuing CA"},
                        "interm-ocsp": {"common-name": "Test OCSP responder"},
                        "tsa": {"common-name": "Test Time Stamping Authority"},
                        "alice": {"common-name": "Alice Example"},
                        "bob": {"common-name": "Bob Example"},
                        "mallory": {"common-name": "Mallory Revoked"},
                        "eve": {"common-name": "Eve Expired"},
                        "seal": {"common-name": "Test platform seal"},
                    },
                    "certs": {
                        "root": {
                            "subject": "root", "issuer": "root", "authority-key": "root", "validity": ca_validity,
                            "extensions": [{"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                                           usage("digital_signature", "key_cert_sign", "crl_sign")],
                        },
                        "interm": {
                            "issuer": "root", "validity": ca_validity,
                            "extensions": [
                                {"id": "basic_constraints", "critical": True,
                                 "value": {"ca": True, "path-len-constraint": 0}},
                                usage("digital_signature", "key_cert_sign", "crl_sign"),
                                crl_from("root"),
                            ],
                        },
                        "interm-ocsp": {
                            "issuer": "interm", "validity": ca_validity,
                            "extensions": [usage("digital_signature"),
                                           {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                                           {"id": "ocsp_no_check"}],
                        },
                        "tsa": {
                            "issuer": "root", "validity": ca_validity,
                            "extensions": [usage("digital_signature"),
                                           {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                                           crl_from("root")],
                        },
                        "alice": signer,
                        "bob": signer,
                        "seal": {**signer, "validity": validity(-timedelta(days=1), timedelta(days=365))},
                        "mallory": {
                            **signer,
                            "revocation": {"revoked-since": when(-timedelta(hours=1)), "reason": "key_compromise"},
                        },
                        "eve": {**signer, "validity": validity(-timedelta(days=3), -timedelta(days=1))},
                    },
                    "services": {
                        "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "interm-ocsp",
                                            "signing-key": "interm-ocsp"}},
                        # The issuing CA's list is new every ten minutes: the one served is never
                        # older, so a revocation an hour ago is on it. The root's stays current for
                        # a year, as a root's offline-signed list does: a validator years from now
                        # can slide back to a moment it speaks for the issuing CA.
                        "crl-repo": {
                            "root": {"for-issuer": "root", "signing-key": "root",
                                     "simulated-update-schedule": "P365D"},
                            "interm": {"for-issuer": "interm", "signing-key": "interm",
                                       "simulated-update-schedule": "PT10M"},
                        },
                        "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                    },
                }
            },
        }  # fmt: skip
