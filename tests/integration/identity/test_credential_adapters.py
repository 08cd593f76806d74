"""The adapters of local sign-in against the real libraries: Argon2id (argon2-cffi), TOTP (pyotp)
and recovery codes; and the domain's rules fed by what they return."""

from __future__ import annotations

import base64
import hashlib
import inspect
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import argon2
import pyotp
import pytest

from undersign.adapters.identity.passwords import Argon2PasswordHasher
from undersign.adapters.identity.recovery_codes import ALPHABET, Sha256RecoveryCodes
from undersign.adapters.identity.totp import PyOtpTotpCodes
from undersign.application.access.credential_ports import PasswordHasher, RecoveryCodes, TotpCodes
from undersign.domain.errors import InvalidState
from undersign.domain.local_credentials import LocalCredentials, TotpEnrolment

AT = datetime(2026, 3, 1, 9, 0, 10, tzinfo=UTC)  # 10 s into a step


@pytest.mark.parametrize(
    ("port", "adapter"),
    [(PasswordHasher, Argon2PasswordHasher), (TotpCodes, PyOtpTotpCodes), (RecoveryCodes, Sha256RecoveryCodes)],
)
def test_each_adapter_has_its_ports_shape(port: type, adapter: type) -> None:
    # No type checker runs in the test command: this holds the names and order of the parameters.
    methods = [name for name in vars(port) if not name.startswith("_") and callable(vars(port)[name])]
    assert methods
    for name in methods:
        expected = [(p.name, p.kind) for p in inspect.signature(getattr(port, name)).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(getattr(adapter, name)).parameters.values()]
        assert actual == expected, name

# -- passwords ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return Argon2PasswordHasher()


def test_a_password_hashed_verifies(hasher: PasswordHasher) -> None:
    stored = hasher.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106's low-memory option
    assert hasher.verify(stored, "correct horse battery staple")
    assert not hasher.needs_rehash(stored)


def test_two_hashes_of_one_password_differ(hasher: PasswordHasher) -> None:
    assert hasher.hash("correct horse battery staple") != hasher.hash("correct horse battery staple")


@pytest.mark.parametrize(
    "attempt", ["correct horse battery stapl", "Correct horse battery staple", "", "correct horse battery staple "]
)
def test_a_wrong_password_is_false(hasher: PasswordHasher, attempt: str) -> None:
    assert hasher.verify(hasher.hash("correct horse battery staple"), attempt) is False


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=65536,t=3,p=4$xx$yy",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",  # bare SHA-256
    ],
)
def test_a_hash_that_is_not_argon2s_is_false_and_asks_for_a_rehash(hasher: PasswordHasher, garbage: str) -> None:
    assert hasher.verify(garbage, "password") is False
    assert hasher.needs_rehash(garbage) is True


def test_a_hash_of_weaker_parameters_verifies_and_asks_for_a_rehash(hasher: PasswordHasher) -> None:
    old = Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    stored = old.hash("correct horse battery staple")
    assert hasher.verify(stored, "correct horse battery staple")
    assert hasher.needs_rehash(stored)


def test_a_password_matches_however_its_accents_were_typed(hasher: PasswordHasher) -> None:
    composed, decomposed = "caf\u00e9 au lait, s'il vous pla\u00eet", "cafe\u0301 au lait, s'il vous plai\u0302t"
    assert composed != decomposed
    assert hasher.verify(hasher.hash(composed), decomposed)
    assert hasher.verify(hasher.hash(decomposed), composed)


# -- TOTP --------------------------------------------------------------------------------------


@pytest.fixture
def totp() -> TotpCodes:
    return PyOtpTotpCodes()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // 30


def test_a_secret_is_160_random_bits_in_base32(totp: TotpCodes) -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert len(base64.b32decode(secret)) == 20
        TotpEnrolment(secret=secret)  # the domain takes it


def test_the_provisioning_uri_is_what_authenticator_apps_scan(totp: TotpCodes) -> None:
    secret = totp.new_secret()
    uri = urlsplit(totp.provisioning_uri(secret, "ada@acme.test", "Acme Corp"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert "ada%40acme.test" in uri.path and "Acme" in uri.path
    query = parse_qs(uri.query)
    assert query["secret"] == [secret] and query["issuer"] == ["Acme Corp"]


def test_a_code_for_at_matches_its_step(totp: TotpCodes) -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(AT)
    assert totp.matching_step(secret, code, AT) == step_of(AT)
    assert totp.matching_step(secret, f" {code} ", AT) == step_of(AT)  # pasted with spaces around


def test_the_window_accepts_exactly_the_codes_of_three_steps(totp: TotpCodes) -> None:
    secret = totp.new_secret()
    current = step_of(AT)
    accepted = {
        offset: totp.matching_step(secret, code_at(secret, current + offset), AT) for offset in range(-5, 6)
    }
    assert {offset for offset, step in accepted.items() if step is not None} == {-1, 0, 1}
    assert all(accepted[offset] == current + offset for offset in (-1, 0, 1))  # each names its own step


def test_a_code_from_two_steps_away_does_not_match(totp: TotpCodes) -> None:
    secret = totp.new_secret()
    for seconds in (-60, 60, -90, 3600):
        code = pyotp.TOTP(secret).at(AT + timedelta(seconds=seconds))
        if code not in {code_at(secret, step_of(AT) + d) for d in (-1, 0, 1)}:  # a 1-in-10^5 coincidence
            assert totp.matching_step(secret, code, AT) is None


def test_a_code_of_another_secret_does_not_match(totp: TotpCodes) -> None:
    mine, theirs = totp.new_secret(), totp.new_secret()
    code = pyotp.TOTP(theirs).at(AT)
    if code not in {code_at(mine, step_of(AT) + d) for d in (-1, 0, 1)}:
        assert totp.matching_step(mine, code, AT) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12 345", "abcdef", "١٢٣٤٥٦", "123456\n7"])
def test_what_is_not_six_ascii_digits_matches_nothing(totp: TotpCodes, code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code, AT) is None


def test_a_time_without_offset_is_refused(totp: TotpCodes) -> None:
    with pytest.raises(ValueError):
        totp.matching_step(totp.new_secret(), "123456", AT.replace(tzinfo=None))


def test_a_code_signs_in_once_however_quickly_it_is_replayed(totp: TotpCodes) -> None:
    secret = totp.new_secret()
    credentials = LocalCredentials(totp=TotpEnrolment(secret=secret)).with_totp_confirmed(step_of(AT) - 10, AT)
    code = pyotp.TOTP(secret).at(AT)
    step = totp.matching_step(secret, code, AT)
    assert step is not None
    signed_in = credentials.with_totp_step(step)
    later = AT + timedelta(seconds=25)  # still within the window
    replayed = totp.matching_step(secret, code, later)
    assert replayed == step
    with pytest.raises(InvalidState):
        signed_in.with_totp_step(replayed)
    # and the previous step's code, still in the window, is refused as well
    earlier = totp.matching_step(secret, code_at(secret, step - 1), AT)
    assert earlier == step - 1
    with pytest.raises(InvalidState):
        signed_in.with_totp_step(earlier)


# -- recovery codes ----------------------------------------------------------------------------


@pytest.fixture
def recovery() -> RecoveryCodes:
    return Sha256RecoveryCodes()


def test_ten_distinct_codes_for_people(recovery: RecoveryCodes) -> None:
    codes = recovery.new_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}", code)
    assert len(ALPHABET) == len(set(ALPHABET)) == 32  # 5 bits a character, 12 characters: 60 bits


def test_codes_differ_from_one_set_to_the_next(recovery: RecoveryCodes) -> None:
    many = [code for _ in range(20) for code in recovery.new_codes(10)]
    assert len(set(many)) == 200
    assert set("".join(many).replace("-", "")) == set(ALPHABET)  # every character of the alphabet in use


@pytest.mark.parametrize(
    "typed",
    [
        "7hqx-2m0c-kd9v",
        "7HQX-2M0C-KD9V",
        "7hqx2m0ckd9v",
        " 7hqx 2m0c kd9v ",
        "7hqx - 2m0c - kd9v",
        "7hQx_2m0C_kd9V",
        "7hqx-2mOc-kd9v",  # the letter O for the digit 0
    ],
)
def test_what_a_person_types_is_normalised_to_the_code(recovery: RecoveryCodes, typed: str) -> None:
    assert recovery.normalise(typed) == "7hqx2m0ckd9v"
    assert recovery.hash(typed) == recovery.hash("7hqx-2m0c-kd9v")


def test_the_lookalikes_of_one_are_one(recovery: RecoveryCodes) -> None:
    assert recovery.normalise("i1L1-lI11-0oO0") == "111111110000"


def test_the_hash_is_sha256_hex_of_the_normalised_code(recovery: RecoveryCodes) -> None:
    assert recovery.hash("7HQX-2M0C-KD9V") == hashlib.sha256(b"7hqx2m0ckd9v").hexdigest()
    assert recovery.hash("7hqx-2m0c-kd9w") != recovery.hash("7hqx-2m0c-kd9v")


def test_a_recovery_code_typed_in_signs_in_once(recovery: RecoveryCodes) -> None:
    codes = recovery.new_codes()
    credentials = LocalCredentials().with_recovery_codes(tuple(recovery.hash(code) for code in codes))
    typed = codes[3].upper().replace("-", " ")
    used = credentials.with_recovery_code_used(recovery.hash(typed))
    assert len(used.recovery_code_hashes) == 9
    assert not used.has_recovery_code(recovery.hash(codes[3]))
    assert all(used.has_recovery_code(recovery.hash(code)) for code in codes if code != codes[3])
    with pytest.raises(InvalidState):
        used.with_recovery_code_used(recovery.hash(codes[3]))
