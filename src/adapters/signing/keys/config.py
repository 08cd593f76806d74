"""Which seal key to use (UNDERSIGN_SEAL_KEY): `dev`, `pkcs12:PATH` or `pkcs11:module=PATH;token=LABEL;key=LABEL`.

Secrets (UNDERSIGN_SEAL_KEY_PASSWORD for a PKCS#12 file, UNDERSIGN_SEAL_KEY_PIN for a
token) come separately and never show in a repr.
Parsing only reads the text; files, tokens and PINs are checked when the key is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class DevSealKeySpec:
    """The development PKI's seal key: trusted nowhere but this installation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Pkcs12SealKeySpec:
    path: Path
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pkcs11SealKeySpec:
    module: Path
    token: str
    key_label: str
    cert_label: str | None = None
    pin: str = field(repr=False)


SealKeySpec = DevSealKeySpec | Pkcs12SealKeySpec | Pkcs11SealKeySpec

_PKCS11_FORM = "'pkcs11:module=PATH;token=LABEL;key=LABEL[;cert=LABEL]'"
FORMS = f"'dev', 'pkcs12:PATH' or {_PKCS11_FORM}"
_PKCS11_REQUIRED = ("module", "token", "key")
_PKCS11_OPTIONAL = ("cert",)


def parse_seal_key_spec(
    value: str | None, *, password: str | None = None, pin: str | None = None, pin_setting: str = "UNDERSIGN_SEAL_KEY_PIN"
) -> SealKeySpec:
    """The spec named by `value` (None or empty: dev). The same forms name the signers' issuing CA's key.

    Raises ValueError with a message that reads after the setting's name; `pin_setting`
    names where a token's PIN is expected.
    """
    value = (value or "dev").strip()
    scheme, colon, rest = value.partition(":")
    if value == "dev":
        return DevSealKeySpec()
    if colon and scheme == "pkcs12":
        if not rest.strip():
            raise ValueError("pkcs12: must name the file, as in pkcs12:/etc/undersign/seal.p12")
        return Pkcs12SealKeySpec(path=Path(rest.strip()), password=password)
    if colon and scheme == "pkcs11":
        return _pkcs11(rest, pin, pin_setting)
    raise ValueError(f"must be {FORMS}, not {value!r}")


def _pkcs11(rest: str, pin: str | None, pin_setting: str) -> Pkcs11SealKeySpec:
    attributes: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(";"))):
        name, equals, attribute = (s.strip() for s in part.partition("="))
        if not equals or not attribute:
            raise ValueError(f"pkcs11: {part!r} is not name=value")
        if name not in _PKCS11_REQUIRED + _PKCS11_OPTIONAL:
            known = ", ".join(_PKCS11_REQUIRED + _PKCS11_OPTIONAL)
            raise ValueError(f"pkcs11: unknown attribute {name!r}; known: {known}")
        if name in attributes:
            raise ValueError(f"pkcs11: gives {name} twice")
        attributes[name] = attribute
    missing = [name for name in _PKCS11_REQUIRED if name not in attributes]
    if missing:
        raise ValueError(f"pkcs11: lacks {', '.join(missing)} (the form is {_PKCS11_FORM})")
    if not pin:
        raise ValueError(f"pkcs11: needs the token's PIN in {pin_setting}")
    return Pkcs11SealKeySpec(
        module=Path(attributes["module"]),
        token=attributes["token"],
        key_label=attributes["key"],
        cert_label=attributes.get("cert"),
        pin=pin,
    )
