"""A drawn signature over the signing API: its PNG is drawn in the signed PDF; anything else is a 422 problem."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw

from tests.e2e import api
from tests.pdf_checks import pdfsig_report
from tests.stack import serve, settings_for


def drawing() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(20, 40, 160, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def signature(kind: str, image: bytes) -> dict:
    return {"kind": kind, "text": "Ada Lovelace", "image": base64.b64encode(image).decode()}


async def test_a_drawn_signature_is_in_the_signed_pdf_and_a_bad_image_is_refused(tmp_path: Path) -> None:
    async with serve(settings_for(tmp_path / "data")) as stack:
        envelope_id, document_id = await api.create_envelope(stack, pages=1)
        ada = await api.add_signer(stack, envelope_id, "Ada Lovelace")
        await api.place(stack, envelope_id, document_id, ada, "signature", 1, 72, 600)
        await api.send(stack, envelope_id)
        token = await api.signing_token(stack, envelope_id, ada)

        for bad in (b"GIF89a not a png", drawing()[:-20]):
            refused = await stack.client.post(
                f"/v1/signing/{token}/sign", json={"signature": signature("drawn", bad), "consent": True}
            )
            api.problem(refused, 422, "invalid_signature_image")

        signed = await stack.client.post(
            f"/v1/signing/{token}/sign", json={"signature": signature("drawn", drawing()), "consent": True}
        )
        assert signed.status_code == 200, signed.text
        await api.until_sealed(stack, envelope_id)
        pdf = await api.final_pdf(stack, envelope_id, document_id)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        images = [
            xobject
            for annotation in document.pages[0].get("/Annots", [])
            if annotation.get("/FT") == "/Sig" and "/AP" in annotation
            for xobject in _images(annotation.AP.N)
        ]
    assert [(int(i.Width), int(i.Height)) for i in images] == [(300, 100)]
    verdicts = pdfsig_report(pdf, expected=2)  # Ada's signature and the platform's seal
    assert all(v.valid for v in verdicts), verdicts


def _images(stream: pikepdf.Stream) -> list[pikepdf.Stream]:
    found = []
    for xobject in stream.get("/Resources", {}).get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Image":
            found.append(xobject)
        elif xobject.get("/Subtype") == "/Form":
            found.extend(_images(xobject))
    return found
