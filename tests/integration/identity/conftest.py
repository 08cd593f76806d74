"""A real OpenID Provider (npm oidc-provider) for the session, with the clients the identity tests obtain tokens for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc_provider import Client, OidcProvider

API = "https://undersign.test/api"
OTHER_API = "https://other.test/api"

CLIENTS = [
    Client(client_id="acme-sender", tenant="acme", roles=("esign-senders",), token_alg="RS256"),
    Client(client_id="acme-admin", tenant="acme", roles=("esign-senders", "esign-admins"), token_alg="PS256"),
    Client(client_id="globex-viewer", tenant="globex", roles=("esign-viewers",), token_alg="ES256"),
    Client(client_id="initech-auditor", tenant="initech", roles=("esign-auditors",), token_alg="EdDSA"),
    Client(client_id="acme-marketing", tenant="acme", roles=("marketing",)),
    Client(client_id="tenantless", roles=("esign-senders",)),
]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """Started once for the session; a test may rotate its keys (`rotate_keys()`), so read them from it when needed."""
    provider = OidcProvider(clients=CLIENTS, resources=[API, OTHER_API])
    try:
        provider.start()
        yield provider
    finally:
        provider.remove()
