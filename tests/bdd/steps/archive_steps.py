"""Steps of long-term validation: `undersign archive renew`, and pyHanko's AdES verdicts, with the clock moved (faketime)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pytest_bdd import parsers, then, when

from tests.bdd.steps.http_steps import Api, final_pdf_over_api
from tests.bdd.steps.verification_steps import Verification
from tests.pdf_checks import AdesVerdict, pyhanko_lta_verdicts
from tests.prerequisites import require_program

UNDERSIGN = str(Path(sys.executable).parent / "undersign")
YEAR = timedelta(days=365)
NOW = datetime.now(UTC)
# Every document whose last time stamp ends within ten years: the one the scenario made.
EVERY_DOCUMENT_DAYS = "3650"
LATER = {"eight days": timedelta(days=8), "six years": 6 * YEAR, "eleven years": 11 * YEAR}


@dataclass
class Renewal:
    result: subprocess.CompletedProcess[str] | None = None

    @property
    def report(self) -> dict:
        assert self.result is not None, "the archive was not renewed"
        return json.loads(self.result.stdout)


@pytest.fixture
def renewal() -> Renewal:
    return Renewal()


def archive_renew_at(moment: datetime, api: Api) -> subprocess.CompletedProcess[str]:
    """`undersign archive renew` on the scenario's data, in a process whose clock reads `moment` (faketime)."""
    command = [UNDERSIGN, "archive", "renew", "--within-days", EVERY_DOCUMENT_DAYS, "--json"]
    if moment - datetime.now(UTC) > timedelta(minutes=1):
        command = [require_program("faketime", "faketime"), f"{moment:%Y-%m-%d %H:%M:%S}", *command]
    env = {**os.environ, "UNDERSIGN_DATA_DIR": str(api.settings.data_dir), "UNDERSIGN_LOG_FORMAT": "json", "TZ": "UTC"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def document_time_stamp_ends(pdf: bytes) -> list[datetime]:
    """When each document time stamp's TSA certificate ends, in the order they were added."""
    stamps = PdfFileReader(BytesIO(pdf)).embedded_timestamp_signatures
    return [stamp.signer_cert["tbs_certificate"]["validity"]["not_after"].native for stamp in stamps]


@when("the operator renews the archive five years from now")
def renew_five_years_from_now(api: Api, verification: Verification, renewal: Renewal) -> None:
    renewal.result = archive_renew_at(NOW + 5 * YEAR, api)
    assert renewal.result.returncode == 0, renewal.result.stderr
    verification.pdf = final_pdf_over_api(api)


@when("the operator renews the archive today")
def renew_today(api: Api, renewal: Renewal) -> None:
    renewal.result = archive_renew_at(datetime.now(UTC), api)


@then("the final PDF has one more document time stamp")
def one_more_time_stamp(renewal: Renewal, verification: Verification) -> None:
    assert [r["document_id"] for r in renewal.report["renewed"]] != []
    stamps = PdfFileReader(BytesIO(verification.pdf)).embedded_timestamp_signatures
    assert stamps[-1].field_name == "archive-timestamp-" + str(len(stamps))


@then("its certificate ends about five years after the one of the time stamp it renews")
def renewal_outlives(verification: Verification) -> None:
    *_, renewed, renewal = document_time_stamp_ends(verification.pdf)
    assert timedelta(days=4 * 365) < renewal - renewed < timedelta(days=6 * 365), (renewed, renewal)


def verdicts(api: Api, verification: Verification, later: str) -> list[AdesVerdict]:
    found = pyhanko_lta_verdicts(verification.pdf, api.settings.pki_dir / "root-ca.pem", at=NOW + LATER[later])
    assert len(found) == 3, found  # Ada's, Bob's and the platform seal
    return found


@then(parsers.parse("every signature passes long-term validation {later} from now"))
def all_pass(api: Api, verification: Verification, later: str) -> None:
    found = verdicts(api, verification, later)
    assert all(v.indication == "PASSED" for v in found), found


@then(parsers.parse("no signature passes long-term validation {later} from now"))
def none_pass(api: Api, verification: Verification, later: str) -> None:
    found = verdicts(api, verification, later)
    assert all(v.indication != "PASSED" for v in found), found


@then("the renewal is refused because the new time stamp would end no later than the current one")
def renewal_refused(renewal: Renewal) -> None:
    assert renewal.result is not None and renewal.result.returncode == 1
    [refused] = renewal.report["refused"]
    assert "no later than the current time stamp's" in refused["reason"]
    assert renewal.report["renewed"] == []


@then("the final PDF is unchanged")
def final_pdf_unchanged(api: Api, verification: Verification) -> None:
    assert final_pdf_over_api(api) == verification.pdf
