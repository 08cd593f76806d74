"""The hostile corpus (tests/hostile_pdf_corpus.py) through the HTTP API.

An upload answers 201 for the ordinary PDFs and a 422 problem with the entry's code for the
rest, and a refusal leaves nothing behind: no blob, no
document on the envelope. A verification answers 422 for what it cannot read safely and a
report for the rest (active content is the upload's concern: verification runs nothing).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e import api
from tests.hostile_pdf_corpus import (
    ACCEPTED,
    BY_ID,
    CORPUS,
    REPORTED,
    TEST_LIMITS,
    Answer,
    HostilePdf,
)
from tests.stack import Stack, serve, settings_for


@pytest.fixture
async def stack(tmp_path: Path):
    async with serve(settings_for(tmp_path / "data", **TEST_LIMITS)) as stack:
        yield stack


def answer_of(response: httpx.Response) -> Answer:
    if response.status_code < 400:
        return Answer(response.status_code)
    body = api.problem(response, response.status_code)
    return Answer(response.status_code, body["code"])


def explained(entry: HostilePdf, answers: tuple[Answer, ...], response: httpx.Response) -> str:
    return (f"{entry.id} ({entry.what}): expected {' or '.join(map(str, answers))}, "
            f"got {response.status_code}: {response.text[:300]}")  # fmt: skip


async def upload(stack: Stack, envelope_id: str, pdf: bytes) -> httpx.Response:
    return await stack.client.post(
        f"/v1/envelopes/{envelope_id}/documents",
        files={"file": ("upload.pdf", pdf, "application/pdf")},
        headers=stack.headers,
    )


async def verify(stack: Stack, pdf: bytes) -> httpx.Response:
    return await stack.client.post(
        "/v1/verify", files={"file": ("document.pdf", pdf, "application/pdf")}, headers=stack.headers
    )


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry.id)
async def test_an_upload_gets_the_entrys_answer_and_a_refusal_stores_nothing(stack, entry: HostilePdf):
    envelope = await api.post(stack, "/v1/envelopes", {"subject": f"Hostile corpus: {entry.id}"})
    pdf = entry.pdf()

    response = await upload(stack, envelope["id"], pdf)

    answer = answer_of(response)
    assert answer in entry.upload, explained(entry, entry.upload, response)
    documents = (await stack.client.get(f"/v1/envelopes/{envelope['id']}", headers=stack.headers)).json()["documents"]
    if answer == ACCEPTED:
        assert response.json()["pages"] == entry.pages and response.json()["size"] == len(pdf)
        assert [document["id"] for document in documents] == [response.json()["id"]]
        assert len(api.stored_files(stack)) == 1
    else:
        detail = api.problem(response, 422, answer.code)["detail"]
        assert any(word in detail.lower() for word in entry.words), f"{detail!r} names none of {entry.words}"
        assert api.stored_files(stack) == []
        assert documents == []


@pytest.mark.parametrize("entry", CORPUS, ids=lambda entry: entry.id)
async def test_a_verification_gets_the_entrys_answer(stack, entry: HostilePdf):
    pdf = entry.pdf()

    response = await verify(stack, pdf)

    answer = answer_of(response)
    assert answer in entry.verify, explained(entry, entry.verify, response)
    if answer == REPORTED:
        report = response.json()
        assert report["valid"] is False and report["signatures"] == [], report
    else:
        api.problem(response, 422, answer.code)
    assert api.stored_files(stack) == []


async def test_a_body_over_the_upload_limit_is_413_for_upload_and_verify_and_stores_nothing(tmp_path: Path):
    pdf = BY_ID["many-objects"].pdf()
    assert 1024 * 1024 < len(pdf) < 4 * 1024 * 1024
    async with serve(settings_for(tmp_path / "data", UNDERSIGN_MAX_UPLOAD_MB="1", **TEST_LIMITS)) as stack:
        envelope = await api.post(stack, "/v1/envelopes", {"subject": "Too big"})

        uploaded = await upload(stack, envelope["id"], pdf)
        verified = await verify(stack, pdf)

        api.problem(uploaded, 413)
        api.problem(verified, 413)
        assert api.stored_files(stack) == []
        after = await stack.client.get(f"/v1/envelopes/{envelope['id']}", headers=stack.headers)
        assert after.json()["documents"] == []
