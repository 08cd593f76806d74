"""Steps that read the certificate of completion as a person (pdftotext) and a PDF checker (pdffonts) would."""

from __future__ import annotations

from pytest_bdd import parsers, then

from tests.bdd.steps.http_steps import Api
from tests.font_checks import as_read, pdffonts, pdftotext


def certificate_over_api(api: Api) -> bytes:
    response = api.client.get(f"/v1/envelopes/{api.envelope_id}/certificate", headers=api.headers)
    assert response.status_code == 200, response.text
    return response.content


@then(parsers.parse('the certificate of completion names "{first}" and "{second}" as written, in embedded fonts'))
def certificate_names_them(api: Api, first: str, second: str) -> None:
    certificate = certificate_over_api(api)
    text = as_read(pdftotext(certificate))
    for name in (first, second):
        # Word by word: on a line that mixes directions pdftotext puts the spaces and the
        # numbers where they are drawn ("Ali محمد بن علي Jr" comes back as "Ali  محمد بن عليJr").
        missing = [word for word in name.split() if word not in text]
        assert missing == [], f"{missing} of {name!r} not in the certificate's text:\n{text}"
    fonts = pdffonts(certificate)
    assert fonts and [f["name"] for f in fonts if f["emb"] != "yes"] == []
