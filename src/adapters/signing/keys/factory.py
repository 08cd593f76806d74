"""The seal key the configuration names."""

from __future__ import annotations

from typing import assert_never

from undersign.adapters.signing.dev_pki import DevPki
from undersign.adapters.signing.keys.base import SealKey, SealKeyError
from undersign.adapters.signing.keys.config import DevSealKeySpec, Pkcs11SealKeySpec, Pkcs12SealKeySpec, SealKeySpec
from undersign.adapters.signing.keys.local import dev_seal_key
from undersign.adapters.signing.keys.pkcs11_token import Pkcs11SealKey
from undersign.adapters.signing.keys.pkcs12_file import load_pkcs12_seal_key


def seal_key_from(spec: SealKeySpec, *, dev_pki: DevPki | None = None) -> SealKey:
    """Load the key `spec` names (`dev_pki` is needed for the dev one); SealKeyError if it cannot be used.

    A remote seal key has no configuration form: build a `RemoteSealKey` with the
    service's client in the composition root.
    """
    match spec:
        case DevSealKeySpec():
            if dev_pki is None:
                raise SealKeyError("the development seal key needs the development PKI")
            return dev_seal_key(dev_pki)
        case Pkcs12SealKeySpec(path=path, password=password):
            return load_pkcs12_seal_key(path, password)
        case Pkcs11SealKeySpec():
            return Pkcs11SealKey(
                module=spec.module, token=spec.token, key_label=spec.key_label, cert_label=spec.cert_label, pin=spec.pin
            )
        case _:
            assert_never(spec)
