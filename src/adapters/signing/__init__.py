"""PDF signing with pyHanko: inspecting uploads, preparing form fields, PAdES signatures, the platform seal."""
