"""The REST API (v1) and the signing page, on Litestar."""
