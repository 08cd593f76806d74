"""asn1crypto must keep the bytes it parsed when a definite length merely ends in 0x80."""

from __future__ import annotations

from asn1crypto import core

import undersign.adapters.signing  # noqa: F401  (importing the signing adapters applies the correction)


class _Numbers(core.SequenceOf):
    _child_spec = core.Integer


# INTEGER 1 with a superfluous leading zero: valid BER, not DER, so re-encoding changes it.
_NON_MINIMAL_ONE = b"\x02\x02\x00\x01"
_DER_ONE = b"\x02\x01\x01"


def test_a_value_with_a_definite_length_of_128_keeps_the_bytes_it_was_parsed_from() -> None:
    parsed = b"\x30\x81\x80" + _NON_MINIMAL_ONE * 32  # length 128: the header ends in 0x80

    assert _Numbers.load(parsed).dump() == parsed


def test_so_does_a_longer_one_whose_length_ends_in_0x80() -> None:
    parsed = b"\x30\x82\x01\x80" + _NON_MINIMAL_ONE * 96  # length 384

    assert _Numbers.load(parsed).dump() == parsed


def test_an_indefinite_length_is_still_re_encoded_as_der() -> None:
    indefinite = b"\x30\x80" + _NON_MINIMAL_ONE * 2 + b"\x00\x00"

    assert _Numbers.load(indefinite).dump() == b"\x30\x06" + _DER_ONE * 2
