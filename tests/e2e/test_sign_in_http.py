"""Signing in end to end: `undersign serve`, a real OpenID Provider (npm oidc-provider) and a real SAML IdP
(pysaml2), on loopback; headless Chromium for the browser's part, httpx where a browser adds nothing.

The provider configuration is what an operator writes (UNDERSIGN_OIDC_SIGN_IN, UNDERSIGN_SAML_PROVIDERS);
the tenants and their sign-in policy are made with the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium, page
from tests.oidc_provider import Account, OidcProvider
from tests.saml_idp import SamlIdentityProvider, SamlUser, running_saml_idp
from tests.servers import free_port, serving_undersign

UNDERSIGN = str(Path(sys.executable).parent / "undersign")
EMAIL = "urn:oid:1.2.840.113549.1.9.1.1"  # pysaml2's IdP sends `email` under this Name
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"

ACCOUNTS = [
    Account(account_id="alice", email="alice@acme.test", name="Alice Liddell", groups=("esign-admins",)),
    Account(account_id="bob", email="bob@acme.test", name="Bob", groups=("marketing",)),
    Account(account_id="erin", email="erin@globex.test", name="Erin", groups=("esign-senders",)),
]
SAML_USERS = {
    "sam": SamlUser(subject="sam-41b7", email="sam@acme.test", name="Sam Ŝtraße", groups=("esign-senders",)),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Installation:
    url: str
    data_dir: Path
    op: OidcProvider
    idp: SamlIdentityProvider

    def cli(self, *args: str) -> dict:
        env = {**os.environ, "UNDERSIGN_DATA_DIR": str(self.data_dir), "UNDERSIGN_LOG_FORMAT": "json"}
        done = subprocess.run([UNDERSIGN, *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def acts(self, tenant: str) -> list[dict]:
        """The tenant's audit log of administrative acts, read over the API with an owner key."""
        key = self.cli("apikey", "create", "--tenant", tenant, "--role", "owner")["key"]
        log = httpx.get(f"{self.url}/v1/audit-log", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert log.status_code == 200, log.text
        return log.json()["items"]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    directory = tmp_path_factory.mktemp("sign-in")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    op = OidcProvider(clients=[], resources=[], accounts=ACCOUNTS)
    try:
        op.start()
        with running_saml_idp(SAML_USERS) as idp:
            client = op.register_web_client([f"{url}/sign-in/oidc/{name}/callback" for name in ("acme", "globex")])
            oidc = [
                {"name": name, "issuer": op.issuer, "client_id": client.client_id, "client_secret": client.client_secret,
                 "tenant": {"value": name},
                 "role": {"claim": "groups", "map": {"esign-admins": "admin", "esign-senders": "sender"}}}
                for name in ("acme", "globex")
            ]  # fmt: skip
            saml = [{
                "name": "corp", "entity_id": f"{url}/sign-in/saml/corp/metadata", "acs_url": f"{url}/sign-in/saml/corp/acs",
                "metadata_url": f"{url}/sign-in/saml/corp/metadata", "idp_metadata_xml": idp.metadata(),
                "tenant": "acme", "xmlsec1": idp.xmlsec1,
                "attributes": {"email": EMAIL, "name": DISPLAY_NAME, "role": "groups", "role_map": {"esign-senders": "sender"}},
            }]  # fmt: skip
            env = {
                "UNDERSIGN_DATA_DIR": str(directory / "data"), "UNDERSIGN_PUBLIC_URL": url, "UNDERSIGN_LOG_FORMAT": "json",
                "UNDERSIGN_OIDC_SIGN_IN": json.dumps(oidc), "UNDERSIGN_SAML_PROVIDERS": json.dumps(saml),
            }  # fmt: skip
            found = Installation(url=url, data_dir=directory / "data", op=op, idp=idp)
            found.cli("db", "upgrade")
            found.cli("tenant", "create", "acme")
            found.cli("tenant", "create", "globex")
            found.cli("tenant", "sign-in-policy", "acme", "--just-in-time-users")
            with serving_undersign(env, directory / "serve.log", port):
                idp.register_service_provider(httpx.get(f"{url}/sign-in/saml/corp/metadata", timeout=10).content)
                yield found
    finally:
        op.remove()


def oidc_sign_in(installation: Installation, tenant: str, account_id: str) -> tuple[httpx.Client, httpx.Response]:
    """A sign-in with httpx as the browser: to the provider, logged in there, back to the callback."""
    browser = httpx.Client(base_url=installation.url, timeout=15, follow_redirects=False)
    started = browser.get(f"/sign-in/oidc/{tenant}")
    assert started.status_code == 303, started.text
    callback = installation.op.log_in(started.headers["location"], account_id=account_id)
    return browser, browser.get(callback)


# -- OIDC -----------------------------------------------------------------------------------------


async def test_oidc_sign_in_in_a_browser_makes_the_user_and_a_session_that_changes_things_only_with_its_csrf_token(
    installation: Installation,
) -> None:
    async with chromium() as browser, page(browser) as tab:
        await tab.goto(f"{installation.url}/sign-in/oidc/acme")
        await tab.fill('input[name="login"]', "alice")
        await tab.fill('input[name="password"]', "any")
        await tab.click('button[type="submit"]')
        await tab.wait_for_selector('input[name="prompt"][value="consent"]', state="attached")
        await tab.click('button[type="submit"]')
        await tab.wait_for_url(f"{installation.url}/v1/session")
        session = json.loads(await tab.inner_text("body"))
        assert session["role"] == "admin" and session["user_id"]
        cookies = {c["name"]: c for c in await tab.context.cookies()}
        assert cookies["undersign_session"]["httpOnly"] and cookies["undersign_session"]["sameSite"] == "Lax"
        assert "undersign_sign_in" not in cookies  # taken back once, cleared

        async def call(method: str, path: str, csrf: str | None) -> int:
            headers = {"content-type": "application/json", **({"x-csrf-token": csrf} if csrf else {})}
            response = await tab.request.fetch(
                f"{installation.url}{path}", method=method, headers=headers,
                data=json.dumps({"subject": "Signed in"}) if method == "POST" else None,
            )
            return response.status

        assert await call("POST", "/v1/envelopes", None) == 403
        assert await call("POST", "/v1/envelopes", "0" * 64) == 403
        assert await call("POST", "/v1/envelopes", session["csrf_token"]) == 201
        assert await call("GET", "/v1/envelopes", None) == 200
        assert await call("POST", "/sign-out", session["csrf_token"]) == 204
        assert await call("GET", "/v1/session", None) == 401
        assert await call("GET", "/v1/envelopes", None) == 401

    users = installation.cli("user", "list", "acme")["users"]
    assert [(u["email"], u["role"]) for u in users if u["email"] == "alice@acme.test"] == [("alice@acme.test", "admin")]
    assert "UserSignedIn" in [act["type"] for act in installation.acts("acme")]


def test_a_session_cookie_planted_before_sign_in_is_not_the_one_after(installation: Installation) -> None:
    browser = httpx.Client(base_url=installation.url, timeout=15, follow_redirects=False)
    browser.cookies.set("undersign_session", "planted-by-an-attacker", domain="127.0.0.1")
    started = browser.get("/sign-in/oidc/acme")
    callback = installation.op.log_in(started.headers["location"], account_id="bob")
    finished = browser.get(callback)
    assert finished.status_code == 303 and finished.headers["location"] == "/v1/session"
    token = finished.cookies["undersign_session"]
    assert token != "planted-by-an-attacker"
    planted = httpx.get(f"{installation.url}/v1/session", cookies={"undersign_session": "planted-by-an-attacker"})
    assert planted.status_code == 401
    mine = httpx.get(f"{installation.url}/v1/session", cookies={"undersign_session": token})
    assert mine.status_code == 200 and mine.json()["role"] == "viewer"  # no mapped group: the default role


def test_someone_not_invited_is_refused_where_the_tenant_takes_invited_users_only(installation: Installation) -> None:
    _browser, finished = oidc_sign_in(installation, "globex", "erin")
    assert finished.status_code == 401
    assert finished.json()["code"] == "sign_in_rejected"
    assert "undersign_session" not in finished.cookies
    refusals = [act["data"]["reason"] for act in installation.acts("globex") if act["type"] == "SignInRefused"]
    assert refusals == ["not_invited"]


def test_an_invited_user_signs_in_and_is_linked_by_email(installation: Installation) -> None:
    invited = installation.cli("user", "invite", "globex", "erin@globex.test", "--name", "Erin", "--role", "viewer")
    _browser, finished = oidc_sign_in(installation, "globex", "erin")
    assert finished.status_code == 303, finished.text
    session = httpx.get(f"{installation.url}/v1/session", cookies={"undersign_session": finished.cookies["undersign_session"]})
    assert session.json()["user_id"] == invited["id"]
    assert session.json()["role"] == "sender"  # the provider's groups map to sender: the provider rules the role


def test_a_callback_is_refused_without_the_browser_that_started_it_and_when_replayed(installation: Installation) -> None:
    browser = httpx.Client(base_url=installation.url, timeout=15, follow_redirects=False)
    started = browser.get("/sign-in/oidc/acme")
    callback = installation.op.log_in(started.headers["location"], account_id="bob")
    stranger = httpx.get(callback, timeout=15)  # the link, sent to someone else's browser (login CSRF)
    assert stranger.status_code == 401 and "undersign_session" not in stranger.cookies
    pending = browser.cookies["undersign_sign_in"]
    assert browser.get(callback).status_code == 303
    replayed = httpx.get(callback, cookies={"undersign_sign_in": pending}, timeout=15)
    assert replayed.status_code == 401 and "undersign_session" not in replayed.cookies


def test_an_unknown_provider_is_not_found(installation: Installation) -> None:
    assert httpx.get(f"{installation.url}/sign-in/oidc/nobody", timeout=10).status_code == 404
    assert httpx.get(f"{installation.url}/sign-in/saml/nobody/metadata", timeout=10).status_code == 404


# -- SAML -----------------------------------------------------------------------------------------


async def test_saml_sign_in_in_a_browser_posts_the_signed_answer_and_starts_a_session(
    installation: Installation,
) -> None:
    async with chromium() as browser, page(browser) as tab:
        # The test IdP asks nobody for a password: which user signs in is a parameter of its sign-in URL,
        # so the redirect to it is taken by hand (in the browser's context: its cookies are the tab's).
        started = await tab.request.get(f"{installation.url}/sign-in/saml/corp", max_redirects=0)
        assert started.status == 303
        await tab.goto(f"{started.headers['location']}&{urllib.parse.urlencode({'user': 'sam'})}")
        await tab.wait_for_url(f"{installation.url}/v1/session")
        session = json.loads(await tab.inner_text("body"))
    assert session["role"] == "sender"
    users = {u["email"]: u for u in installation.cli("user", "list", "acme")["users"]}
    assert users["sam@acme.test"]["name"] == "Sam Ŝtraße"


def test_a_saml_answer_posted_twice_starts_one_session(installation: Installation) -> None:
    browser = httpx.Client(base_url=installation.url, timeout=15, follow_redirects=False)
    started = browser.get("/sign-in/saml/corp")
    fields = installation.idp.sign_in(started.headers["location"], user="sam")
    form = {"SAMLResponse": fields["SAMLResponse"], "RelayState": fields.get("RelayState", "")}
    first = browser.post("/sign-in/saml/corp/acs", data=form)
    assert first.status_code == 303, first.text
    pending = {"undersign_sign_in": started.cookies["undersign_sign_in"]}
    again = httpx.post(f"{installation.url}/sign-in/saml/corp/acs", data=form, cookies=pending, timeout=15)
    assert again.status_code == 401 and "undersign_session" not in again.cookies


def test_the_service_provider_metadata_wants_signed_assertions(installation: Installation) -> None:
    metadata = httpx.get(f"{installation.url}/sign-in/saml/corp/metadata", timeout=10)
    assert metadata.status_code == 200
    assert metadata.headers["content-type"].startswith("application/samlmetadata+xml")
    assert b'WantAssertionsSigned="true"' in metadata.content
    assert f"{installation.url}/sign-in/saml/corp/acs".encode() in metadata.content
