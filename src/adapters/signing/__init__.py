"""PDF signing with pyHanko: inspecting uploads, preparing form fields, PAdES signatures, the platform seal."""

from undersign.adapters.signing.asn1_contents_once import encode_contents_once
from undersign.adapters.signing.asn1_lengths import correct_indefinite_length_check

# Before any signature is encoded: see asn1_lengths and asn1_contents_once for why.
correct_indefinite_length_check()
encode_contents_once()
