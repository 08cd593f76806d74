"""Steps of features/signing_page.feature: the signer's page driven over HTTP in process, as a browser
that runs no script would (its forms read from the HTML and sent back as they are)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from lxml import html
from pytest_bdd import given, parsers, then, when

from tests.bdd.steps.http_steps import Api
from tests.pdf_samples import make_pdf

FIELDS = [
    ("text", {"page": 1, "x": 72, "y": 120}),
    ("checkbox", {"page": 1, "x": 72, "y": 200, "width": 24, "height": 24}),
    ("signature", {"page": 2, "x": 72, "y": 600}),
]


@dataclass
class SignerPage:
    """What the recipient's browser holds: their link, the page it shows, the field ids by kind."""

    api: Api
    token: str = ""
    older_token: str = ""
    status: int = 0
    text: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def open(self, path: str, **headers: str) -> None:
        response = self.api.client.get(path, headers=headers)
        self.status, self.text = response.status_code, response.text

    @property
    def tree(self) -> html.HtmlElement:
        return html.fromstring(self.text)

    def form(self, action: str) -> dict[str, str]:
        """The form posting to `action`, with the values the page filled in (checked boxes only)."""
        (found,) = self.tree.xpath(f"//form[@action='/sign/{self.token}/{action}']")
        values = {}
        for control in found.xpath(".//input|.//textarea"):
            if control.get("type") == "checkbox" and control.get("checked") is None:
                continue
            values[control.get("name")] = control.get("value") or control.text or ""
        return values

    def post(self, action: str, form: dict[str, str], **headers: str) -> None:
        response = self.api.client.post(
            f"/sign/{self.token}/{action}", data=form, headers=headers, follow_redirects=False
        )
        if response.status_code == 303:
            assert response.headers["cache-control"] == "no-store"
            self.open(response.headers["location"])
        else:
            self.status, self.text = response.status_code, response.text

    def envelope(self) -> dict:
        response = self.api.client.get(f"/v1/envelopes/{self.api.envelope_id}", headers=self.api.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def signer_page(api: Api) -> SignerPage:
    return SignerPage(api=api)


def _sent(page: SignerPage, policy: dict | None) -> None:
    api = page.api
    body = {"subject": "Lease agreement", "message": "Please read the lease and sign it."}
    if policy:
        body["policy_id"] = api.post("/v1/policies", {"name": "Two languages", **policy})["id"]
    api.envelope_id = api.post("/v1/envelopes", body)["id"]
    upload = api.client.post(
        f"/v1/envelopes/{api.envelope_id}/documents",
        files={"file": ("lease.pdf", make_pdf(pages=2), "application/pdf")},
        headers=api.headers,
    )
    assert upload.status_code == 201, upload.text
    api.document_id = upload.json()["id"]
    ada = api.post(f"/v1/envelopes/{api.envelope_id}/signers", {"name": "Ada Lovelace", "email": "ada@example.com"})[
        "id"
    ]
    for kind, placement in FIELDS:
        body = {"document_id": api.document_id, "signer_id": ada, "kind": kind, "width": 160, "height": 36, **placement}
        page.fields[kind] = api.post(f"/v1/envelopes/{api.envelope_id}/fields", body)["id"]
    api.signers["Ada"] = ada
    api.post(f"/v1/envelopes/{api.envelope_id}/send")
    page.token = api.post(f"/v1/envelopes/{api.envelope_id}/signers/{ada}/signing-link", {})["token"]


@given('an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her')
def envelope_for_ada(signer_page: SignerPage) -> None:
    _sent(signer_page, None)


@given('an envelope "Lease agreement" sent to Ada under a policy offering English and Arabic')
def envelope_in_two_languages(signer_page: SignerPage) -> None:
    _sent(signer_page, {"languages": ["en", "ar"]})


@given("the sender sent Ada a newer link")
def newer_link(signer_page: SignerPage) -> None:
    api = signer_page.api
    signer_page.older_token = signer_page.token
    signer_page.token = api.post(f"/v1/envelopes/{api.envelope_id}/signers/{api.signers['Ada']}/signing-link", {})[
        "token"
    ]


@when("Ada opens her signing page in a browser that runs no script")
def opens_without_script(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.token}", **{"accept-language": "en"})
    assert signer_page.status == 200


@when("Ada opens her signing page in a browser that prefers Arabic")
def opens_in_arabic(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.token}", **{"accept-language": "ar-EG,ar;q=0.9,en;q=0.5"})


@when("Ada asks for the page in English")
def asks_for_english(signer_page: SignerPage) -> None:
    (link,) = signer_page.tree.xpath("//nav//a[@hreflang='en']")
    signer_page.open(f"/sign/{signer_page.token}{link.get('href')}", **{"accept-language": "ar"})


@when("Ada opens the older link")
def opens_older(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.older_token}")


@when("someone opens a signing link that was never sent")
def opens_made_up(signer_page: SignerPage) -> None:
    signer_page.open("/sign/never-sent-0123456789")


@when("Ada fills in her fields, types her name, agrees and signs on the page")
def signs_on_the_page(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.token}")
    form = signer_page.form("sign")
    form |= {
        f"field.{signer_page.fields['text']}": "Analytical Engines",
        f"field.{signer_page.fields['checkbox']}": "true",
    }
    form |= {"signature_text": "Ada Lovelace", "consent": "yes"}
    signer_page.post("sign", form)


@when("Ada signs on the page without filling in the text field")
def signs_without_text(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.token}")
    form = signer_page.form("sign") | {"consent": "yes", f"field.{signer_page.fields['checkbox']}": "true"}
    signer_page.post("sign", form)


@when(parsers.parse('Ada declines on the page because "{reason}"'))
def declines_on_the_page(signer_page: SignerPage, reason: str) -> None:
    signer_page.open(f"/sign/{signer_page.token}")
    signer_page.post("decline", signer_page.form("decline") | {"reason": reason})


@when("another website makes Ada's browser send the signing form")
def cross_site_post(signer_page: SignerPage) -> None:
    signer_page.open(f"/sign/{signer_page.token}")
    form = signer_page.form("sign") | {"consent": "yes", "signature_text": "Ada Lovelace"}
    form |= {f"field.{signer_page.fields['text']}": "x", f"field.{signer_page.fields['checkbox']}": "true"}
    signer_page.post("sign", form, **{"sec-fetch-site": "cross-site"})


@then(parsers.parse('she reads the subject "{subject}" and the sender\'s message'))
def reads_subject(signer_page: SignerPage, subject: str) -> None:
    assert signer_page.tree.xpath("string(//h1)") == subject
    assert "Please read the lease and sign it." in signer_page.tree.xpath("string(//main)")


@then(parsers.parse('she finds the document "{filename}" to read'))
def finds_document(signer_page: SignerPage, filename: str) -> None:
    (link,) = signer_page.tree.xpath("//a[@download]")
    assert link.get("download") == filename and filename in link.text_content()


@then("her fields are listed in reading order, each with a label of its own")
def fields_listed(signer_page: SignerPage) -> None:
    items = signer_page.tree.xpath("//fieldset[@class='fields']//li")
    assert [item.get("id") for item in items] == [f"item-{signer_page.fields[kind]}" for kind, _ in FIELDS]
    for control in signer_page.tree.xpath("//form//input[not(@type='hidden')]|//form//textarea"):
        assert signer_page.tree.xpath(f"//label[@for='{control.get('id')}']"), control.get("id")


@then("nothing on the page says it is still loading")
def not_loading(signer_page: SignerPage) -> None:
    assert "loading" not in signer_page.tree.xpath("string(//main)").lower()


@then("the page tells her that she signed")
def told_signed(signer_page: SignerPage) -> None:
    assert signer_page.status == 200
    assert "You signed this on" in signer_page.tree.xpath("string(//main)")


@then("her envelope is now completed")
def completed(signer_page: SignerPage) -> None:
    assert signer_page.envelope()["status"] == "completed"


@then("the page asks her to fill in that field, next to the field")
def asked_to_fill(signer_page: SignerPage) -> None:
    assert signer_page.status == 422
    name = f"field.{signer_page.fields['text']}"
    (control,) = signer_page.tree.xpath(f"//input[@name='{name}']")
    assert control.get("aria-invalid") == "true"
    (error,) = signer_page.tree.xpath(f"//*[@id='{control.get('aria-describedby')}']")
    assert error.text_content() == "Please fill in this field."
    assert signer_page.tree.xpath("//*[@role='alert']")


@then("nothing is signed yet")
def nothing_signed(signer_page: SignerPage) -> None:
    envelope = signer_page.envelope()
    assert envelope["status"] == "sent"
    assert all(signer["status"] not in ("signed", "declined") for signer in envelope["signers"])


@then("the page says the envelope is closed")
def says_closed(signer_page: SignerPage) -> None:
    assert signer_page.status == 410
    assert "This envelope is closed" in signer_page.tree.xpath("string(//main)")


@then("her envelope is now declined")
def declined(signer_page: SignerPage) -> None:
    assert signer_page.envelope()["status"] == "declined"


@then("the page is in Arabic, written right to left")
def in_arabic(signer_page: SignerPage) -> None:
    root = signer_page.tree
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
    assert root.xpath("string(//h2[@id='sign-h'])") == "وقِّع"


@then("the page is in English, written left to right")
def in_english(signer_page: SignerPage) -> None:
    root = signer_page.tree
    assert (root.get("lang"), root.get("dir")) == ("en", "ltr")
    assert root.xpath("string(//h2[@id='sign-h'])") == "Sign"


@then("the page says the link does not exist")
def says_unknown(signer_page: SignerPage) -> None:
    assert signer_page.status == 404
    assert "This signing link does not exist" in signer_page.tree.xpath("string(//main)")


@then("the page says a newer link was sent to her")
def says_replaced(signer_page: SignerPage) -> None:
    assert signer_page.status == 410
    assert "A newer link was sent to you" in signer_page.tree.xpath("string(//main)")


@then("the page refuses the form")
def refuses(signer_page: SignerPage) -> None:
    assert signer_page.status == 403
    assert "sent from another website" in signer_page.tree.xpath("string(//*[@role='alert'])")
