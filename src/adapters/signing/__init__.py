"""PDF signing with pyHanko: inspecting uploads, preparing form fields, PAdES signatures, the platform seal."""

from undersign.adapters.signing.asn1_lengths import correct_indefinite_length_check

# Before any signature is encoded: see asn1_lengths for why.
correct_indefinite_length_check()
